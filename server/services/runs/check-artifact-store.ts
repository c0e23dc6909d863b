/**
 * The artifact store's part of readiness (web /api/health/ready and the worker's /ready): "ok" or
 * "unavailable" only, since health answers are public; the reason (which bucket or folder, what to check)
 * goes to the server log, once per distinct reason a minute so a probe every few seconds does not flood it.
 */
import { type ArtifactStore, ArtifactStoreUnavailable, getArtifactStore } from "./artifact-store";

export type ArtifactStoreCheck = "ok" | "unavailable";

const LOG_EVERY_MS = 60_000;
let lastLogged: { message: string; at: number } | null = null;

export async function checkArtifactStore(store?: ArtifactStore): Promise<ArtifactStoreCheck> {
  try {
    await (store ?? getArtifactStore()).check();
    return "ok";
  } catch (error) {
    const message =
      error instanceof ArtifactStoreUnavailable
        ? error.message
        : `The artifact store could not be checked: ${error instanceof Error ? error.message : String(error)}`;
    const now = Date.now();
    if (lastLogged?.message !== message || now - lastLogged.at >= LOG_EVERY_MS) {
      lastLogged = { message, at: now };
      console.error(`Not ready: ${message}`);
    }
    return "unavailable";
  }
}
