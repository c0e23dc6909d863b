import { requestRunCancel } from "../runs/cancel-run";
import { recordActivity } from "../activity/record-activity";
import type { ServiceContext } from "../context";
import { loadWorkflow } from "./load-workflow";

export interface DeleteWorkflowResult {
  workflowId: string;
  /** Runs that were queued or running and are now cancelled (or stopping): the caller tells their worker. */
  cancelledRunIds: string[];
}

/**
 * Moves a workflow to the trash: it leaves every list and lookup until restored. The rows stay (soft delete),
 * so runs keep the versions they executed. Its queued and running runs are cancelled, since nobody could see
 * or cancel them any more; the workflow is marked first, so no new run can start meanwhile.
 */
export async function deleteWorkflow(
  ctx: ServiceContext,
  input: { workflowId: string },
): Promise<DeleteWorkflowResult> {
  await loadWorkflow(ctx, input.workflowId, "delete");
  await ctx.db.workflow.update({ where: { id: input.workflowId }, data: { deletedAt: new Date() } });
  const active = await ctx.db.run.findMany({
    where: { workflowId: input.workflowId, status: { in: ["queued", "running"] } },
    select: { id: true },
    orderBy: { createdAt: "asc" },
  });
  const cancelledRunIds: string[] = [];
  for (const run of active) {
    const outcome = await requestRunCancel(ctx, run.id, "Cancelled: its workflow was moved to the trash.");
    if (outcome === "cancelled" || outcome === "requested") cancelledRunIds.push(run.id);
  }
  await recordActivity(ctx, { workflowId: input.workflowId, kind: "deleted" });
  return { workflowId: input.workflowId, cancelledRunIds };
}
