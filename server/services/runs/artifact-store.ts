/**
 * Artifact files: PNG images and checkpoints under <data dir>/artifacts/<runId>/. The Artifact row keeps
 * the storage key (the path relative to the data dir), so moving to S3-compatible storage later only swaps
 * this module. Keys are built here from ids we generate, never from user input.
 */
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { dataDir } from "../../env";

export function artifactRoot(): string {
  return path.join(dataDir(), "artifacts");
}

const SAFE_SEGMENT = /^[A-Za-z0-9_.-]+$/;

function absolutePath(storageKey: string): string {
  const root = artifactRoot();
  const resolved = path.resolve(root, storageKey);
  // Defence in depth: a key that escapes the artifact folder is refused even if a row was tampered with.
  if (!resolved.startsWith(root + path.sep)) {
    throw new Error(`Artifact key “${storageKey}” points outside the artifact folder; refusing to touch it.`);
  }
  return resolved;
}

export interface StoredFile {
  storageKey: string;
  byteSize: number;
  sha256: string;
}

export async function writeArtifactFile(
  runId: string,
  fileName: string,
  bytes: Uint8Array,
): Promise<StoredFile> {
  if (!SAFE_SEGMENT.test(runId) || !SAFE_SEGMENT.test(fileName)) {
    throw new Error(`Unsafe artifact name “${runId}/${fileName}”.`);
  }
  const storageKey = `${runId}/${fileName}`;
  const target = absolutePath(storageKey);
  await fs.mkdir(path.dirname(target), { recursive: true });
  // Write then rename: a reader never sees half a file, and a crash leaves no torn checkpoint.
  const temporary = `${target}.${process.pid}.tmp`;
  await fs.writeFile(temporary, bytes);
  await fs.rename(temporary, target);
  return {
    storageKey,
    byteSize: bytes.byteLength,
    sha256: createHash("sha256").update(bytes).digest("hex"),
  };
}

export async function readArtifactFile(storageKey: string): Promise<Buffer> {
  return fs.readFile(absolutePath(storageKey));
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
 * Reads an artifact's file and checks it against the size and sha256 stored when it was written, hashing
 * while reading and stopping as soon as the file turns out longer than it should be.
 */
export async function readVerifiedArtifactFile(
  storageKey: string,
  expected: { byteSize: number; sha256: string },
): Promise<Buffer> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(absolutePath(storageKey), "r");
  } catch (error) {
    const code = error instanceof Error && "code" in error ? error.code : undefined;
    if (code === "ENOENT" || code === "ENOTDIR") throw new ArtifactFileUnavailable("missing", storageKey);
    throw error;
  }
  try {
    // One byte of room: a longer file is caught without reading all of it.
    const bytes = Buffer.alloc(expected.byteSize + 1);
    const hash = createHash("sha256");
    let total = 0;
    for (;;) {
      const { bytesRead } = await handle.read(bytes, total, bytes.length - total, null);
      if (bytesRead === 0) break;
      hash.update(bytes.subarray(total, total + bytesRead));
      total += bytesRead;
      if (total > expected.byteSize) throw new ArtifactFileUnavailable("corrupt", storageKey);
    }
    if (total !== expected.byteSize || hash.digest("hex") !== expected.sha256) {
      throw new ArtifactFileUnavailable("corrupt", storageKey);
    }
    return bytes.subarray(0, total);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Removes an artifact's file; a file that is already gone is fine. */
export async function deleteArtifactFile(storageKey: string): Promise<void> {
  await fs.rm(absolutePath(storageKey), { force: true });
}
