/** An artifact's file, for the route handler that serves images. The id is looked up, never used as a path. */
import { notFound } from "../../errors";
import { assertCanAccessWorkflow } from "../authorization";
import type { ServiceContext } from "../context";
import { readArtifactFile } from "./artifact-store";
import { readRunConfig } from "./run-views";

export async function getArtifact(ctx: ServiceContext, input: { artifactId: string }) {
  const artifact = await ctx.db.artifact.findUnique({
    where: { id: input.artifactId },
    include: { run: { include: { workflow: true, workflowVersion: { select: { number: true } } } } },
  });
  if (!artifact?.run || artifact.run.workflow.deletedAt) throw notFound("Artifact", input.artifactId);
  assertCanAccessWorkflow(ctx.actor, artifact.run.workflow, "read");
  const bytes = await readArtifactFile(artifact.storageKey);
  return {
    bytes,
    mimeType: artifact.mimeType,
    kind: artifact.kind,
    iteration: artifact.iteration,
    runId: artifact.run.id,
    workflowName: artifact.run.workflow.name,
    versionNumber: artifact.run.workflowVersion.number,
    /** The document the run executed, for embedding into downloaded PNGs. */
    document: readRunConfig(artifact.run).document,
  };
}
