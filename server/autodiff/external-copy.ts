/**
 * An external-data copy of a large single-file model (a 1.2 GB ViT-L/14 scorer), so that it shares one copy of
 * its weights across sessions as external-data models do (server/onnx/memory-sharing.ts): ONNX Runtime maps a
 * `weights.pb` beside the model, and the VJP cache hard-links that file beside the VJP model, so the forward
 * and VJP sessions compute from the same page-cache pages. A single .onnx file has its weights inside the
 * protobuf, which every session copies into its own memory.
 *
 * The copy lives in the VJP cache folder, `<cache>/external/<sha256 of the original>/` (`model.onnx`, the graph
 * with each large initializer pointing into `weights.pb`, 4 KiB-aligned, and `entry.json`). It is written once,
 * from a weight-less reading of the original (proto-skeleton.ts) and a chunked copy of its weight bytes; the
 * original is never modified, and is verified against its sha256 (once per process per file identity) before
 * its copy is used. An entry whose files do not match `entry.json` is written again, never trusted.
 */
import { createHash } from "node:crypto";
import type { Stats } from "node:fs";
import { mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { decodeModel } from "./proto";
import { type ElidedRawData, lengthDelimited, readModelSkeleton, varintField } from "./proto-skeleton";
import { resolveCacheDir, type VjpCacheOptions } from "./cache";

/** Bump when the layout of the copy changes: older entries are then written again. */
export const EXTERNAL_COPY_VERSION = 1;
export const EXTERNAL_WEIGHTS_FILE = "weights.pb";
const ALIGN_BYTES = 4096;
const CHUNK_BYTES = 8 * 1024 * 1024;

const entrySchema = z.object({
  version: z.number(),
  sourceSha256: z.string().regex(/^[0-9a-f]{64}$/),
  modelSha256: z.string().regex(/^[0-9a-f]{64}$/),
  weightsBytes: z.number(),
  weightsSha256: z.string().regex(/^[0-9a-f]{64}$/),
  tensors: z.number(),
});
type Entry = z.infer<typeof entrySchema>;

export interface ExternalCopy {
  /** The copy's model.onnx (its weights in `weights.pb` beside it). */
  readonly file: string;
  /** "hit": an entry verified now; "written": made now (none, or a bad one replaced). */
  readonly source: "hit" | "written";
  readonly sourceSha256: string;
  readonly weightsBytes: number;
  readonly rejected?: string;
}

export class ExternalCopyError extends Error {
  override name = "ExternalCopyError";
}

/** Hashes already computed in this process, by file identity (path, size, mtime, inode). */
const knownHashes = new Map<string, string>();
const identityOf = (file: string, info: Stats) =>
  `${path.resolve(file)}|${info.size}|${info.mtimeMs}|${info.ino}`;

async function sha256OfFile(file: string): Promise<string> {
  const info = await stat(file);
  const identity = identityOf(file, info);
  const known = knownHashes.get(identity);
  if (known) return known;
  const hash = createHash("sha256");
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  const digest = hash.digest("hex");
  knownHashes.set(identity, digest);
  return digest;
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

function externalDataFields(location: string, offset: number, length: number): Uint8Array {
  const entry = (key: string, value: string) =>
    lengthDelimited(
      13,
      Buffer.concat([lengthDelimited(1, Buffer.from(key)), lengthDelimited(2, Buffer.from(value))]),
    );
  // TensorProto.external_data (13) entries, then data_location (14) = EXTERNAL.
  return Buffer.concat([
    entry("location", location),
    entry("offset", String(offset)),
    entry("length", String(length)),
    varintField(14, 1),
  ]);
}

/** Why the entry in `dir` cannot be used, or its metadata when it can. */
async function verifyEntry(dir: string, sourceSha256: string): Promise<Entry | string> {
  let entry: Entry;
  try {
    entry = entrySchema.parse(JSON.parse(await readFile(path.join(dir, "entry.json"), "utf8")));
  } catch {
    return "missing";
  }
  if (entry.version !== EXTERNAL_COPY_VERSION || entry.sourceSha256 !== sourceSha256)
    return "metadata for another file";
  let model: Uint8Array;
  try {
    model = await readFile(path.join(dir, "model.onnx"));
  } catch {
    return "model.onnx missing";
  }
  if (sha256(model) !== entry.modelSha256) return "model.onnx checksum mismatch";
  const weights = path.join(dir, EXTERNAL_WEIGHTS_FILE);
  const info = await stat(weights).catch(() => undefined);
  if (info?.size !== entry.weightsBytes) return `${EXTERNAL_WEIGHTS_FILE} missing or of the wrong size`;
  if ((await sha256OfFile(weights)) !== entry.weightsSha256)
    return `${EXTERNAL_WEIGHTS_FILE} checksum mismatch`;
  return entry;
}

/** Writes the copy of `modelFile` into the new folder `dir`. */
async function writeCopy(modelFile: string, dir: string, sourceSha256: string): Promise<Entry> {
  const moves: { from: ElidedRawData; to: number }[] = [];
  let next = 0;
  const skeleton = await readModelSkeleton(modelFile, {
    replaceRawData: (raw) => {
      const at = Math.ceil(next / ALIGN_BYTES) * ALIGN_BYTES;
      next = at + raw.length;
      moves.push({ from: raw, to: at });
      return externalDataFields(EXTERNAL_WEIGHTS_FILE, at, raw.length);
    },
  });
  // The weights, copied a chunk at a time (zeros in the alignment gaps), hashed on the way.
  const hash = createHash("sha256");
  const source = await open(modelFile, "r");
  const target = await open(path.join(dir, EXTERNAL_WEIGHTS_FILE), "wx");
  try {
    const buffer = Buffer.alloc(CHUNK_BYTES);
    let written = 0;
    for (const { from, to } of moves) {
      if (to > written) {
        const gap = Buffer.alloc(to - written);
        await target.write(gap, 0, gap.length, written);
        hash.update(gap);
        written = to;
      }
      for (let done = 0; done < from.length; ) {
        const want = Math.min(CHUNK_BYTES, from.length - done);
        const { bytesRead } = await source.read(buffer, 0, want, from.offset + done);
        if (bytesRead !== want) throw new ExternalCopyError("the model file changed while it was copied");
        await target.write(buffer, 0, want, written);
        hash.update(buffer.subarray(0, want));
        done += want;
        written += want;
      }
    }
  } finally {
    await source.close();
    await target.close();
  }
  decodeModel(skeleton.bytes); // The graph must decode before anything loads it.
  await writeFile(path.join(dir, "model.onnx"), skeleton.bytes);
  const entry: Entry = {
    version: EXTERNAL_COPY_VERSION,
    sourceSha256,
    modelSha256: sha256(skeleton.bytes),
    weightsBytes: next,
    weightsSha256: hash.digest("hex"),
    tensors: moves.length,
  };
  await writeFile(path.join(dir, "entry.json"), JSON.stringify(entry));
  return entry;
}

/**
 * The external-data copy of `modelFile` (from the cache, or written now). `expectedSha256` (e.g. an uploaded
 * asset's recorded hash) is checked against the original's bytes first: a changed upload is refused, not copied.
 */
export async function getExternalCopy(
  modelFile: string,
  options: VjpCacheOptions & { expectedSha256?: string } = {},
): Promise<ExternalCopy> {
  const sourceSha256 = await sha256OfFile(modelFile);
  if (options.expectedSha256 !== undefined && options.expectedSha256 !== sourceSha256) {
    throw new ExternalCopyError("the stored model file no longer matches its recorded sha256");
  }
  const dir = path.join(resolveCacheDir(options), "external", sourceSha256);
  const found = await verifyEntry(dir, sourceSha256);
  if (typeof found !== "string") {
    return {
      file: path.join(dir, "model.onnx"),
      source: "hit",
      sourceSha256,
      weightsBytes: found.weightsBytes,
    };
  }
  await mkdir(path.dirname(dir), { recursive: true });
  const temp = `${dir}.${process.pid}.${Date.now()}.tmp`;
  await rm(temp, { recursive: true, force: true });
  await mkdir(temp);
  try {
    const entry = await writeCopy(modelFile, temp, sourceSha256);
    await rm(dir, { recursive: true, force: true });
    try {
      await rename(temp, dir);
    } catch (error) {
      // Another process wrote the same copy meanwhile: use theirs if it verifies.
      const theirs = await verifyEntry(dir, sourceSha256);
      if (typeof theirs === "string") throw error;
    }
    return {
      file: path.join(dir, "model.onnx"),
      source: "written",
      sourceSha256,
      weightsBytes: entry.weightsBytes,
      ...(found === "missing" ? {} : { rejected: found }),
    };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}
