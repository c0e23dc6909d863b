/**
 * Readiness of the artifact store for health endpoints: the store's own cheap probe (the local folder is
 * writable, or the S3 bucket answers HEAD), bounded in time. Its sentence goes to the server log when the
 * answer changes, never into the health body.
 */
import { type ArtifactStore, getArtifactStore } from "../runs/artifact-store";

export type ArtifactsCheck = "ok" | "unavailable";

let lastAnswer: ArtifactsCheck = "ok";

export async function checkArtifacts(store?: ArtifactStore, timeoutMs = 3000): Promise<ArtifactsCheck> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const probe = (store ?? getArtifactStore()).check();
    await Promise.race([
      probe,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`The artifact storage did not answer within ${timeoutMs} ms.`)),
          timeoutMs,
        );
      }),
    ]);
    lastAnswer = "ok";
    return "ok";
  } catch (error) {
    if (lastAnswer === "ok") {
      console.warn(
        `Health: artifacts unavailable: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    lastAnswer = "unavailable";
    return "unavailable";
  } finally {
    clearTimeout(timer);
  }
}
