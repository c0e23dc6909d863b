/**
 * Artifacts in a local folder (<data dir>/artifacts/<runId>/<file>): the embedded mode, and any deployment
 * whose web servers and workers share one file system.
 */
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import {
  type ArtifactStore,
  ArtifactFileUnavailable,
  ArtifactStoreUnavailable,
  artifactKey,
  type StoredFile,
} from "./artifact-store-types";

function errorCode(error: unknown): unknown {
  return error instanceof Error && "code" in error ? error.code : undefined;
}

export class LocalArtifactStore implements ArtifactStore {
  readonly kind = "local";
  readonly place = "the data folder";

  constructor(readonly root: string) {}

  private absolutePath(storageKey: string): string {
    const resolved = path.resolve(this.root, storageKey);
    // Defence in depth: a key that escapes the artifact folder is refused even if a row was tampered with.
    if (!resolved.startsWith(this.root + path.sep)) {
      throw new Error(
        `Artifact key “${storageKey}” points outside the artifact folder; refusing to touch it.`,
      );
    }
    return resolved;
  }

  async put(runId: string, fileName: string, bytes: Uint8Array): Promise<StoredFile> {
    const storageKey = artifactKey(runId, fileName);
    const target = this.absolutePath(storageKey);
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

  async get(storageKey: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.absolutePath(storageKey));
    } catch (error) {
      const code = errorCode(error);
      if (code === "ENOENT" || code === "ENOTDIR") throw new ArtifactFileUnavailable("missing", storageKey);
      throw error;
    }
  }

  /** Hashes while reading and stops as soon as the file turns out longer than it should be. */
  async getVerified(storageKey: string, expected: { byteSize: number; sha256: string }): Promise<Buffer> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.absolutePath(storageKey), "r");
    } catch (error) {
      const code = errorCode(error);
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

  async delete(storageKey: string): Promise<void> {
    await fs.rm(this.absolutePath(storageKey), { force: true });
  }

  async check(): Promise<void> {
    try {
      await fs.mkdir(this.root, { recursive: true });
      await fs.access(this.root, fs.constants.R_OK | fs.constants.W_OK);
    } catch (error) {
      // No absolute path: readiness answers may be read by anyone.
      throw new ArtifactStoreUnavailable(
        `The artifacts folder in the data folder cannot be written (${String(errorCode(error) ?? "error")}): ` +
          "check DNO_DATA_DIR, that its disk is mounted, and that the server's user may write there.",
      );
    }
  }
}
