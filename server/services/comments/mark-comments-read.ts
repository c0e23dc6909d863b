import { assertWorkflowAccess } from "../authorization";
import type { ServiceContext } from "../context";

/** The actor has seen every comment of the workflow written so far (opening the comments panel). */
export async function markCommentsRead(ctx: ServiceContext, input: { workflowId: string }): Promise<void> {
  const { workflow } = await assertWorkflowAccess(ctx, input.workflowId, "view");
  const userId = ctx.actor.userId;
  if (userId === null) return;
  const readAt = new Date();
  await ctx.db.commentReadMarker.upsert({
    where: { userId_workflowId: { userId, workflowId: workflow.id } },
    create: { userId, workflowId: workflow.id, readAt },
    update: { readAt },
  });
}
