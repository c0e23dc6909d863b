import type { ServiceContext } from "../context";
import { loadWorkflow } from "./load-workflow";
import { toWorkflowDetail, type WorkflowDetail } from "./views";

/** A workflow with its head version's document. */
export async function getWorkflow(
  ctx: ServiceContext,
  input: { workflowId: string },
): Promise<WorkflowDetail> {
  return toWorkflowDetail(await loadWorkflow(ctx, input.workflowId, "view"));
}
