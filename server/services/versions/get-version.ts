import { assertSignedIn, notVisible } from "../authorization";
import type { ServiceContext } from "../context";
import { readStoredDocument } from "../workflows/graph-document";
import { loadWorkflow } from "../workflows/load-workflow";
import { toVersionSummary, type VersionDetail } from "../workflows/views";

/** One version with its document (migrated to the current schema if it was older). */
export async function getVersion(ctx: ServiceContext, input: { versionId: string }): Promise<VersionDetail> {
  assertSignedIn(ctx.actor);
  const version = await ctx.db.workflowVersion.findUnique({ where: { id: input.versionId } });
  if (!version) throw notVisible("Version", input.versionId);
  // Checks that the workflow is live and readable by the actor.
  const workflow = await loadWorkflow(ctx, version.workflowId, "view", {
    what: "Version",
    id: input.versionId,
  });
  return {
    ...toVersionSummary(version),
    document: readStoredDocument(version.document, `version ${version.number} of “${workflow.name}”`),
    isHead: workflow.headVersionId === version.id,
  };
}
