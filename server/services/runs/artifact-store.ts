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

/** Removes an artifact's file; a file that is already gone is fine. */
export async function deleteArtifactFile(storageKey: string): Promise<void> {
  await fs.rm(absolutePath(storageKey), { force: true });
}
