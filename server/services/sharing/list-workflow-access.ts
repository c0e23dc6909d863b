/**
 * Who has access to a workflow: its owner, the people it is shared with and (for those who may change access)
 * its share links. Anyone who may open the workflow sees who else can; only the owner (and admins) see links.
 */
import { assertWorkflowAccess, isShareRole, roleAllows, type WorkflowRole } from "../authorization";
import type { ServiceContext } from "../context";
import { type PersonView, type ShareLinkView, type ShareView, toShareLinkView } from "./share-views";

export interface WorkflowAccess {
  workflowId: string;
  workflowName: string;
  owner: PersonView | null;
  shares: ShareView[];
  /** Null when the asker may not manage links (they are not the owner). */
  links: ShareLinkView[] | null;
  /** The asker's own role, and whether they may change who has access. */
  yourRole: WorkflowRole;
  canShare: boolean;
}

export async function listWorkflowAccess(
  ctx: ServiceContext,
  input: { workflowId: string },
): Promise<WorkflowAccess> {
  const { workflow, role } = await assertWorkflowAccess(ctx, input.workflowId, "view");
  const canShare = roleAllows(role, "share");
  const [owner, shares, links] = await Promise.all([
    workflow.ownerId
      ? ctx.db.user.findUnique({
          where: { id: workflow.ownerId },
          select: { id: true, name: true, email: true },
        })
      : null,
    ctx.db.workflowShare.findMany({
      where: { workflowId: workflow.id },
      include: { user: { select: { id: true, name: true, email: true } } },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    }),
    canShare
      ? ctx.db.shareLink.findMany({ where: { workflowId: workflow.id }, orderBy: { createdAt: "desc" } })
      : null,
  ]);
  return {
    workflowId: workflow.id,
    workflowName: workflow.name,
    owner: owner ? { userId: owner.id, name: owner.name, email: owner.email } : null,
    shares: shares.flatMap((share) =>
      isShareRole(share.role)
        ? [
            {
              userId: share.user.id,
              name: share.user.name,
              email: share.user.email,
              role: share.role,
              sharedAt: share.createdAt,
            },
          ]
        : [],
    ),
    links: links ? links.map(toShareLinkView) : null,
    yourRole: role,
    canShare,
  };
}
