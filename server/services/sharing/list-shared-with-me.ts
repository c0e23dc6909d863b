/** Live workflows others shared with the actor (by email or a link they opened), with their role and owner. */
import { assertSignedIn, isShareRole, type ShareRole } from "../authorization";
import type { ServiceContext } from "../context";
import { toWorkflowSummary, type WorkflowSummary } from "../workflows/views";

export interface SharedWorkflowSummary extends WorkflowSummary {
  role: ShareRole;
  ownerName: string | null;
  sharedAt: Date;
}

export async function listSharedWithMe(ctx: ServiceContext): Promise<SharedWorkflowSummary[]> {
  assertSignedIn(ctx.actor);
  const userId = ctx.actor.userId;
  if (userId === null) return [];
  const shares = await ctx.db.workflowShare.findMany({
    where: { userId, workflow: { deletedAt: null, headVersionId: { not: null } } },
    include: { workflow: { include: { headVersion: true } } },
    orderBy: [{ workflow: { updatedAt: "desc" } }, { id: "asc" }],
  });
  const ownerIds = [
    ...new Set(shares.flatMap((share) => (share.workflow.ownerId ? [share.workflow.ownerId] : []))),
  ];
  const owners = await ctx.db.user.findMany({
    where: { id: { in: ownerIds } },
    select: { id: true, name: true },
  });
  const ownerName = new Map(owners.map((owner) => [owner.id, owner.name]));
  return shares.flatMap((share) =>
    isShareRole(share.role)
      ? [
          {
            ...toWorkflowSummary(share.workflow),
            role: share.role,
            ownerName: share.workflow.ownerId ? (ownerName.get(share.workflow.ownerId) ?? null) : null,
            sharedAt: share.createdAt,
          },
        ]
      : [],
  );
}
