import type { WorkflowRole } from "../authorization";
import type { ServiceContext } from "../context";
import { loadWorkflow } from "./load-workflow";
import { toWorkflowDetail, type WorkflowDetail } from "./views";

/** A workflow with its head version's document, and the asker's role on it (what the editor lets them do). */
export async function getWorkflow(
  ctx: ServiceContext,
  input: { workflowId: string },
): Promise<WorkflowDetail & { yourRole: WorkflowRole }> {
  const workflow = await loadWorkflow(ctx, input.workflowId, "view");
  return { ...toWorkflowDetail(workflow), yourRole: workflow.role };
}
