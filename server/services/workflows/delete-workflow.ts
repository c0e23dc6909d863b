import type { ServiceContext } from "../context";
import { loadWorkflow } from "./load-workflow";

/**
 * Deletes a workflow for its users: it leaves every list and every lookup. The rows stay (soft delete) so
 * that runs keep the versions they executed and an accidental delete can be undone by an administrator.
 */
export async function deleteWorkflow(
  ctx: ServiceContext,
  input: { workflowId: string },
): Promise<{ workflowId: string }> {
  await loadWorkflow(ctx, input.workflowId, "delete");
  await ctx.db.workflow.update({ where: { id: input.workflowId }, data: { deletedAt: new Date() } });
  return { workflowId: input.workflowId };
}
