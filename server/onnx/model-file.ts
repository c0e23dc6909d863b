/**
 * Checks a model file before anything reads it, then hashes it through the same open handle.
 *
 * The file is opened non-blocking (a FIFO nobody writes to would otherwise block a libuv thread forever at
 * open) and inspected with fstat on that handle, so the checked file is the hashed one: only regular files
 * within the size cap are read, and reading stops at the cap even if the file grows meanwhile. Symbolic links
 * are followed (Hugging Face caches link snapshots to blobs); what they point at must pass the same checks.
 */
import { createHash } from "node:crypto";
import { constants, type Stats } from "node:fs";
import { open } from "node:fs/promises";
import { OnnxError } from "./errors";

export interface ModelFileInfo {
  sha256: string;
  size: number;
  /** Identity of the file that was hashed, for hash caches. */
  ino: number;
  mtimeMs: number;
}

function kindOf(stat: Stats): string {
  if (stat.isDirectory()) return "a folder";
  if (stat.isFIFO()) return "a named pipe (FIFO)";
  if (stat.isCharacterDevice()) return "a character device";
  if (stat.isBlockDevice()) return "a block device";
  if (stat.isSocket()) return "a socket";
  return "not a regular file";
}

export function formatBytes(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${Number(value.toPrecision(3))} ${units[unit]}`;
}

const CHUNK_BYTES = 1024 * 1024;

/**
 * Refuses anything but a regular file of at most `maxBytes`, then returns its sha256 and size. `check` is
 * called between chunks (it throws on cancel or timeout), so hashing a large file can be abandoned.
 */
export async function readModelFile(
  filePath: string,
  options: {
    name: string;
    maxBytes: number;
    check: () => void;
    /** A hash already known for this exact file (same inode, size and mtime): skips reading it again. */
    known?: (stat: Stats) => string | undefined;
  },
): Promise<ModelFileInfo> {
  const { name, maxBytes } = options;
  const refuse = (why: string) =>
    new OnnxError("ONNX_MODEL_FILE_REFUSED", `Model "${name}" cannot be loaded: ${why}`);
  const tooLarge = (size: number) =>
    refuse(
      `its file is ${formatBytes(size)}, larger than the ${formatBytes(maxBytes)} limit for model files ` +
        "(ORT_MAX_MODEL_BYTES). Use a smaller model, or ask the administrator to raise the limit.",
    );
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(filePath, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = error instanceof Error && "code" in error ? String(error.code) : "";
    if (code === "ENOENT" || code === "ENOTDIR") throw refuse("its file does not exist.");
    if (code === "EACCES" || code === "EPERM") throw refuse("the server may not read its file.");
    if (code === "ELOOP") throw refuse("its file is a loop of symbolic links.");
    throw refuse(`its file cannot be opened (${code || "unknown error"}).`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw refuse(`it is ${kindOf(stat)}, not a regular file. Choose an .onnx file.`);
    if (stat.size > maxBytes) throw tooLarge(stat.size);
    if (stat.size === 0) throw refuse("its file is empty.");
    const known = options.known?.(stat);
    const identity = { size: stat.size, ino: stat.ino, mtimeMs: stat.mtimeMs };
    if (known) return { sha256: known, ...identity };
    const hash = createHash("sha256");
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    let total = 0;
    for (;;) {
      options.check();
      const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) throw tooLarge(total);
      hash.update(buffer.subarray(0, bytesRead));
    }
    return { sha256: hash.digest("hex"), ...identity, size: total };
  } finally {
    await handle.close().catch(() => undefined);
  }
}
