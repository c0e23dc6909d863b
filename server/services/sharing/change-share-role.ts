/** Changes the role of someone a workflow is shared with (only the owner and admins may). */
import { notFound } from "../../errors";
import { recordActivity } from "../activity/record-activity";
import { assertWorkflowAccess, type ShareRole } from "../authorization";
import type { ServiceContext } from "../context";
import type { ShareView } from "./share-views";

export async function changeShareRole(
  ctx: ServiceContext,
  input: { workflowId: string; userId: string; role: ShareRole },
): Promise<ShareView> {
  const { workflow } = await assertWorkflowAccess(ctx, input.workflowId, "share");
  const existing = await ctx.db.workflowShare.findUnique({
    where: { workflowId_userId: { workflowId: workflow.id, userId: input.userId } },
    include: { user: { select: { id: true, name: true, email: true } } },
  });
  if (!existing) throw notFound("Share with person", input.userId);
  if (existing.role !== input.role) {
    await ctx.db.workflowShare.update({ where: { id: existing.id }, data: { role: input.role } });
    await recordActivity(ctx, {
      workflowId: workflow.id,
      kind: "shared",
      data: {
        userId: existing.userId,
        name: existing.user.name,
        role: input.role,
        previousRole: existing.role,
      },
    });
  }
  return {
    userId: existing.user.id,
    name: existing.user.name,
    email: existing.user.email,
    role: input.role,
    sharedAt: existing.createdAt,
  };
}
