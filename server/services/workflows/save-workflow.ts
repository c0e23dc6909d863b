import { recordActivity } from "../activity/record-activity";
import type { ServiceContext } from "../context";
import { type AppendVersionResult, appendVersion } from "./append-version";
import { assertReferencesExist } from "./check-references";
import { assertSavable, readSubmittedDocument } from "./graph-document";
import { loadWorkflow } from "./load-workflow";

export interface SaveWorkflowInput {
  workflowId: string;
  /** The version the editor started from; the save is refused (CONFLICT) if the head has moved since. */
  baseVersionId: string;
  document: unknown;
  message: string;
}

/** Stores the document as the workflow's next version. */
export async function saveWorkflow(
  ctx: ServiceContext,
  input: SaveWorkflowInput,
): Promise<AppendVersionResult> {
  const workflow = await loadWorkflow(ctx, input.workflowId, "edit");
  const document = readSubmittedDocument(input.document);
  assertSavable(document, `“${workflow.name}” was not saved`);
  await assertReferencesExist(ctx, document, `“${workflow.name}” was not saved`);
  const saved = await appendVersion(ctx, {
    workflowId: input.workflowId,
    baseVersionId: input.baseVersionId,
    document,
    message: input.message.trim() === "" ? "Saved" : input.message.trim(),
  });
  await recordActivity(ctx, {
    workflowId: workflow.id,
    kind: "saved",
    data: { versionNumber: saved.version.number, message: saved.version.message },
  });
  return saved;
}
