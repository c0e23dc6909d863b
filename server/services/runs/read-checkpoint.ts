import { notFound } from "../../errors";
import type { ServiceContext } from "../context";
import { readArtifactFile } from "./artifact-store";

/** The bytes of a run's checkpoint artifact, for the worker resuming it. */
export async function readCheckpoint(
  ctx: ServiceContext,
  input: { artifactId: string },
): Promise<Uint8Array> {
  const artifact = await ctx.db.artifact.findUnique({ where: { id: input.artifactId } });
  if (artifact?.kind !== "checkpoint") throw notFound("Checkpoint", input.artifactId);
  return new Uint8Array(await readArtifactFile(artifact.storageKey));
}
