/** The readable difference between two versions of one workflow (version history: “compare v3 with v5”). */
import { diffGraphs, type GraphDiff } from "@/nodes/graph/readable-diff";
import type { ServiceContext } from "../context";
import { loadVersionOfWorkflow } from "../versions/load-version";
import { readStoredDocument } from "../workflows/graph-document";
import { loadWorkflow } from "../workflows/load-workflow";

export interface VersionDiff extends GraphDiff {
  from: { id: string; number: number };
  to: { id: string; number: number };
}

export async function diffVersions(
  ctx: ServiceContext,
  input: { workflowId: string; fromVersionId: string; toVersionId: string },
): Promise<VersionDiff> {
  const workflow = await loadWorkflow(ctx, input.workflowId, "view");
  const from = await loadVersionOfWorkflow(ctx, workflow.id, input.fromVersionId);
  const to = await loadVersionOfWorkflow(ctx, workflow.id, input.toVersionId);
  const diff = diffGraphs(
    readStoredDocument(from.document, `version ${from.number} of “${workflow.name}”`),
    readStoredDocument(to.document, `version ${to.number} of “${workflow.name}”`),
  );
  return { ...diff, from: { id: from.id, number: from.number }, to: { id: to.id, number: to.number } };
}
