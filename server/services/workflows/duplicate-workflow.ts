import type { ServiceContext } from "../context";
import { createWorkflow } from "./create-workflow";
import { loadWorkflow } from "./load-workflow";
import { toWorkflowDetail, type WorkflowDetail } from "./views";

export interface DuplicateWorkflowInput {
  workflowId: string;
  /** Defaults to “Copy of <name>”. */
  name?: string;
}

/** A new workflow whose version 1 is the source's head document; the source is untouched. */
export async function duplicateWorkflow(
  ctx: ServiceContext,
  input: DuplicateWorkflowInput,
): Promise<WorkflowDetail> {
  const source = await loadWorkflow(ctx, input.workflowId, "view");
  const detail = toWorkflowDetail(source);
  return createWorkflow(ctx, {
    name: input.name ?? `Copy of ${source.name}`,
    description: source.description,
    document: detail.document,
    message: `Duplicated from “${source.name}” version ${detail.headVersion.number}`,
  });
}
