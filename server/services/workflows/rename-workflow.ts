import { recordActivity } from "../activity/record-activity";
import type { ServiceContext } from "../context";
import { loadWorkflow } from "./load-workflow";
import { toWorkflowSummary, type WorkflowSummary } from "./views";

export interface RenameWorkflowInput {
  workflowId: string;
  name: string;
  /** Left unchanged when absent. */
  description?: string;
}

/** Renames (and optionally re-describes) a workflow. Names are not versioned; documents are. */
export async function renameWorkflow(
  ctx: ServiceContext,
  input: RenameWorkflowInput,
): Promise<WorkflowSummary> {
  const before = await loadWorkflow(ctx, input.workflowId, "edit");
  const updated = await ctx.db.workflow.update({
    where: { id: input.workflowId },
    data: {
      name: input.name,
      ...(input.description !== undefined ? { description: input.description } : {}),
    },
    include: { headVersion: true },
  });
  if (before.name !== updated.name) {
    await recordActivity(ctx, {
      workflowId: updated.id,
      kind: "renamed",
      data: { from: before.name, to: updated.name },
    });
  }
  return toWorkflowSummary(updated);
}
