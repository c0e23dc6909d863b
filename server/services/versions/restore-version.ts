import { recordActivity } from "../activity/record-activity";
import type { ServiceContext } from "../context";
import { type AppendVersionResult, appendVersion } from "../workflows/append-version";
import { readStoredDocument } from "../workflows/graph-document";
import { loadWorkflow } from "../workflows/load-workflow";
import { loadVersionOfWorkflow } from "./load-version";

export interface RestoreVersionInput {
  workflowId: string;
  /** The version to bring back. */
  versionId: string;
  /** The head the user was looking at; CONFLICT if another save moved it since. */
  baseVersionId: string;
}

/**
 * Non-destructive restore: a new head version with the old version's document, "Restored version N". The
 * versions in between stay in the history.
 */
export async function restoreVersion(
  ctx: ServiceContext,
  input: RestoreVersionInput,
): Promise<AppendVersionResult> {
  const workflow = await loadWorkflow(ctx, input.workflowId, "edit");
  const version = await loadVersionOfWorkflow(ctx, workflow.id, input.versionId);
  const document = readStoredDocument(version.document, `version ${version.number} of “${workflow.name}”`);
  const restored = await appendVersion(ctx, {
    workflowId: workflow.id,
    baseVersionId: input.baseVersionId,
    document,
    message: `Restored version ${version.number}`,
    restoredFromVersionId: version.id,
  });
  await recordActivity(ctx, {
    workflowId: workflow.id,
    kind: "restored-version",
    data: { restoredNumber: version.number, versionNumber: restored.version.number },
  });
  return restored;
}
