import type { ServiceContext } from "../context";
import { loadVersionOfWorkflow } from "../versions/load-version";
import { readStoredDocument } from "./graph-document";
import { loadWorkflow } from "./load-workflow";
import {
  exportFileName,
  WORKFLOW_FILE_FORMAT,
  WORKFLOW_FILE_FORMAT_VERSION,
  type WorkflowFileEnvelope,
} from "./workflow-file";

export interface ExportWorkflowInput {
  workflowId: string;
  /** A specific version; the head when absent. */
  versionId?: string;
}

export interface ExportedWorkflow {
  fileName: string;
  envelope: WorkflowFileEnvelope;
  /** The file's text (pretty-printed JSON), ready to download. */
  json: string;
}

export async function exportWorkflow(
  ctx: ServiceContext,
  input: ExportWorkflowInput,
): Promise<ExportedWorkflow> {
  const workflow = await loadWorkflow(ctx, input.workflowId, "view");
  const version = input.versionId
    ? await loadVersionOfWorkflow(ctx, workflow.id, input.versionId)
    : workflow.headVersion;
  if (!version) throw new Error(`Workflow ${workflow.id} has no head version.`);
  const envelope: WorkflowFileEnvelope = {
    format: WORKFLOW_FILE_FORMAT,
    formatVersion: WORKFLOW_FILE_FORMAT_VERSION,
    name: workflow.name,
    description: workflow.description,
    document: readStoredDocument(version.document, `version ${version.number} of “${workflow.name}”`),
    exportedAt: new Date().toISOString(),
  };
  return {
    fileName: exportFileName(workflow.name),
    envelope,
    json: `${JSON.stringify(envelope, null, 2)}\n`,
  };
}
