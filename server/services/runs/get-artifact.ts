/** An artifact's file, for the route handler that serves images. The id is looked up, never used as a path. */
import { AppError } from "../../errors";
import { assertCanOnWorkflow, assertSignedIn, notVisible } from "../authorization";
import type { ServiceContext } from "../context";
import { ArtifactFileUnavailable, getArtifactStore } from "./artifact-store";
import { readRunConfig } from "./run-views";

/** What people read when an artifact's file cannot be served (the artifact route answers it with 410). */
export function unavailable(
  kind: string,
  reason: "missing" | "corrupt",
  place = "the data folder",
): AppError {
  const noun = kind === "image" ? "image" : kind === "checkpoint" ? "checkpoint" : "file";
  return new AppError(
    "GONE",
    reason === "missing"
      ? `This ${noun}'s file is missing from ${place}. Run the workflow again to make a new one.`
      : `This ${noun}'s file is damaged: its contents no longer match what the run wrote. Run the workflow again to make a new one.`,
    { reason },
  );
}

export async function getArtifact(ctx: ServiceContext, input: { artifactId: string }) {
  assertSignedIn(ctx.actor);
  const artifact = await ctx.db.artifact.findUnique({
    where: { id: input.artifactId },
    include: { run: { include: { workflow: true, workflowVersion: { select: { number: true } } } } },
  });
  if (!artifact?.run || artifact.run.workflow.deletedAt) throw notVisible("Artifact", input.artifactId);
  await assertCanOnWorkflow(ctx, artifact.run.workflow, "view", { what: "Artifact", id: input.artifactId });
  const store = getArtifactStore();
  const bytes = await store.getVerified(artifact.storageKey, artifact).catch((error: unknown) => {
    if (error instanceof ArtifactFileUnavailable) throw unavailable(artifact.kind, error.reason, store.place);
    throw error;
  });
  return {
    bytes,
    mimeType: artifact.mimeType,
    kind: artifact.kind,
    iteration: artifact.iteration,
    runId: artifact.run.id,
    workflowName: artifact.run.workflow.name,
    versionNumber: artifact.run.workflowVersion.number,
    runCreatedAt: artifact.run.createdAt,
    /** The document the run executed, for embedding into downloaded PNGs. */
    document: readRunConfig(artifact.run).document,
  };
}
