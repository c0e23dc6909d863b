import { AppError, notFound } from "../../errors";
import type { ServiceContext } from "../context";
import { ArtifactFileUnavailable, getArtifactStore } from "./artifact-store";

/** The bytes of a run's checkpoint artifact, for the worker resuming it. */
export async function readCheckpoint(
  ctx: ServiceContext,
  input: { artifactId: string },
): Promise<Uint8Array> {
  const artifact = await ctx.db.artifact.findUnique({ where: { id: input.artifactId } });
  if (artifact?.kind !== "checkpoint") throw notFound("Checkpoint", input.artifactId);
  // A damaged checkpoint would resume from garbage: it is refused like a missing one.
  const store = getArtifactStore();
  const bytes = await store.getVerified(artifact.storageKey, artifact).catch((error: unknown) => {
    if (!(error instanceof ArtifactFileUnavailable)) throw error;
    throw new AppError(
      "GONE",
      `The run's checkpoint file is ${error.reason === "missing" ? `missing from ${store.place}` : "damaged"}, ` +
        "so the run cannot continue from it. Start the workflow again.",
      { reason: error.reason },
    );
  });
  return new Uint8Array(bytes);
}
