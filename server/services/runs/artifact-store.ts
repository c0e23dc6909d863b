/**
 * Where run artifacts (iteration PNGs and checkpoints) live: one ArtifactStore interface
 * (artifact-store-types.ts) with two implementations, chosen by the environment (server/env.ts):
 * - the local folder <data dir>/artifacts/<runId>/ (artifact-store-local.ts), the embedded default;
 * - an S3-compatible bucket when DNO_S3_BUCKET is set (artifact-store-s3.ts), for web servers and workers on
 *   several machines.
 * The Artifact row keeps the storage key (`<runId>/<file>`, the same in both), its size and sha256. Keys are
 * built from ids we generate, never from user input. The functions below are what services call.
 */
import path from "node:path";
import { dataDir, getEnv } from "../../env";
import { LocalArtifactStore } from "./artifact-store-local";
import { S3ArtifactStore } from "./artifact-store-s3";
import type { ArtifactStore, StoredFile } from "./artifact-store-types";

export {
  type ArtifactStore,
  ArtifactFileUnavailable,
  ArtifactStoreUnavailable,
  type StoredFile,
} from "./artifact-store-types";

export function artifactRoot(): string {
  return path.join(dataDir(), "artifacts");
}

/** One S3 client per distinct configuration: it keeps its connections open between requests. */
const s3Stores = new Map<string, S3ArtifactStore>();

/**
 * The store the environment asks for. Read per call (cheap), so tests may switch DNO_DATA_DIR or DNO_S3_*.
 */
export function getArtifactStore(source: Record<string, string | undefined> = process.env): ArtifactStore {
  const settings = getEnv(source).s3;
  if (!settings) return new LocalArtifactStore(path.join(dataDir(source), "artifacts"));
  const key = JSON.stringify(settings);
  let store = s3Stores.get(key);
  if (!store) {
    store = new S3ArtifactStore(settings);
    s3Stores.set(key, store);
  }
  return store;
}

/** "the data folder" or "the artifact storage", for sentences about a file that cannot be read. */
export function artifactStorePlace(): string {
  try {
    return getArtifactStore().place;
  } catch {
    return "the artifact storage";
  }
}

export async function writeArtifactFile(
  runId: string,
  fileName: string,
  bytes: Uint8Array,
): Promise<StoredFile> {
  return getArtifactStore().put(runId, fileName, bytes);
}

export async function readArtifactFile(storageKey: string): Promise<Buffer> {
  return getArtifactStore().get(storageKey);
}

/** An artifact's bytes, checked against the size and sha256 stored when it was written. */
export async function readVerifiedArtifactFile(
  storageKey: string,
  expected: { byteSize: number; sha256: string },
): Promise<Buffer> {
  return getArtifactStore().getVerified(storageKey, expected);
}

/** Removes an artifact's file; a file that is already gone is fine. */
export async function deleteArtifactFile(storageKey: string): Promise<void> {
  await getArtifactStore().delete(storageKey);
}
