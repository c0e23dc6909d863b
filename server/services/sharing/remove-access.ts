/**
 * Removes a person's access to a workflow: the owner (or an admin) removes anyone shared with; a person may
 * also remove their own access ("leave"). Their next call about the workflow is refused as for an unknown id.
 */
import { notFound } from "../../errors";
import { recordActivity } from "../activity/record-activity";
import { assertWorkflowAccess } from "../authorization";
import type { ServiceContext } from "../context";

export async function removeAccess(
  ctx: ServiceContext,
  input: { workflowId: string; userId: string },
): Promise<{ workflowId: string; userId: string }> {
  const leaving = input.userId === ctx.actor.userId;
  const { workflow } = await assertWorkflowAccess(ctx, input.workflowId, leaving ? "view" : "share");
  const existing = await ctx.db.workflowShare.findUnique({
    where: { workflowId_userId: { workflowId: workflow.id, userId: input.userId } },
    include: { user: { select: { name: true } } },
  });
  if (!existing) throw notFound("Share with person", input.userId);
  await ctx.db.workflowShare.delete({ where: { id: existing.id } });
  await recordActivity(ctx, {
    workflowId: workflow.id,
    kind: "unshared",
    data: { userId: input.userId, name: existing.user.name, role: existing.role, left: leaving },
  });
  return { workflowId: workflow.id, userId: input.userId };
}
