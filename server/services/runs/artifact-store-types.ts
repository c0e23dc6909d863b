/**
 * What every artifact store shares (server/services/runs/artifact-store.ts picks one): the interface, the
 * storage keys (built from ids we generate, never from user input) and the two errors callers tell apart.
 */

/** What a put answers; the Artifact row keeps all three, so a later read can be verified. */
export interface StoredFile {
  /** `<runId>/<fileName>`, the same in every store (S3 puts DNO_S3_PREFIX before it). */
  storageKey: string;
  byteSize: number;
  sha256: string;
}

export interface ArtifactStore {
  readonly kind: "local" | "s3";
  /** Where artifacts live, in words for people: "the data folder" or "the artifact storage". */
  readonly place: string;
  /** Stores bytes under `<runId>/<fileName>`, all or nothing (a reader never sees half an object). */
  put(runId: string, fileName: string, bytes: Uint8Array): Promise<StoredFile>;
  /** The bytes as stored, unchecked (tests, tools). Missing → ArtifactFileUnavailable("missing"). */
  get(storageKey: string): Promise<Buffer>;
  /**
   * The bytes, checked against the size and sha256 recorded at put: ArtifactFileUnavailable "missing" or
   * "corrupt" otherwise. Never reads more than one byte past the expected size.
   */
  getVerified(storageKey: string, expected: { byteSize: number; sha256: string }): Promise<Buffer>;
  /** Removes an object; one that is already gone is fine. */
  delete(storageKey: string): Promise<void>;
  /** Cheap readiness probe: resolves when artifacts can be written and read, else ArtifactStoreUnavailable. */
  check(): Promise<void>;
}

/** An artifact's file is gone or no longer holds what was written (size or sha256 differ). */
export class ArtifactFileUnavailable extends Error {
  override name = "ArtifactFileUnavailable";
  constructor(
    readonly reason: "missing" | "corrupt",
    storageKey: string,
  ) {
    super(`Artifact file ${storageKey} is ${reason}`);
  }
}

/**
 * The store itself cannot be used (bucket unreachable, credentials refused, folder not writable). The message
 * is for the people running the server: it names the bucket or folder and what to check, never a secret.
 */
export class ArtifactStoreUnavailable extends Error {
  override name = "ArtifactStoreUnavailable";
}

const SAFE_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;

/** `<runId>/<fileName>`, refusing anything that is not one plain name each (no `/`, no `..`). */
export function artifactKey(runId: string, fileName: string): string {
  if (!SAFE_SEGMENT.test(runId) || !SAFE_SEGMENT.test(fileName)) {
    throw new Error(`Unsafe artifact name “${runId}/${fileName}”.`);
  }
  return `${runId}/${fileName}`;
}

/** Defence in depth: a stored key that is not `<segment>/<segment>` is refused even if a row was tampered with. */
export function assertArtifactKey(storageKey: string): void {
  const [runId, fileName, ...rest] = storageKey.split("/");
  if (rest.length > 0 || !runId || !fileName || !SAFE_SEGMENT.test(runId) || !SAFE_SEGMENT.test(fileName)) {
    throw new Error(`Artifact key “${storageKey}” is not a run artifact's key; refusing to touch it.`);
  }
}

/** The MIME type an object is stored with (it only helps people browsing the bucket). */
export function artifactContentType(fileName: string): string {
  return fileName.endsWith(".png") ? "image/png" : "application/octet-stream";
}
