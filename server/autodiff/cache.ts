/**
 * On-disk cache of VJP models, keyed by (sha256 of the forward model bytes, wrt, of, options,
 * builder version). Each entry is `<key>.onnx` plus `<key>.json` holding the sha256 of the
 * .onnx bytes; an entry that is missing, unreadable, fails its checksum or does not decode is
 * rebuilt and rewritten, never trusted.
 */
import { createHash } from "node:crypto";
import { copyFile, link, mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import type { Model } from "./ir";
import { decodeModel, encodeModel } from "./proto";
import type { VjpRequest } from "./vjp";
import { BUILDER_VERSION, buildVjpModel } from "./vjp";

export const DEFAULT_VJP_CACHE_DIR = ".cache/vjp";

export interface VjpCacheOptions {
  /** Cache directory; default $DNO_VJP_CACHE_DIR or .cache/vjp (git-ignored). */
  dir?: string;
}

export interface CachedVjp {
  bytes: Uint8Array;
  /** Where the entry lives (the .onnx file). */
  file: string;
  /** "hit": read and verified; "built": built now (no entry, or a corrupt one was replaced). */
  source: "hit" | "built";
  /** Why an existing entry was rejected, when it was. */
  rejected?: string;
  buildMs?: number;
}

const metaSchema = z.object({
  key: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  modelSha256: z.string(),
  wrt: z.array(z.string()),
  of: z.string(),
  builderVersion: z.number(),
});

export function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

export function vjpCacheKey(modelSha256: string, request: VjpRequest): string {
  return sha256(
    JSON.stringify({
      model: modelSha256,
      wrt: request.wrt,
      of: request.of,
      exposeForward: request.exposeForward ?? false,
      builder: BUILDER_VERSION,
    }),
  );
}

export function resolveCacheDir(options: VjpCacheOptions = {}): string {
  return options.dir ?? process.env.DNO_VJP_CACHE_DIR ?? DEFAULT_VJP_CACHE_DIR;
}

async function readVerified(file: string, metaFile: string, key: string): Promise<Uint8Array | string> {
  let metaText: string;
  let bytes: Uint8Array;
  try {
    [metaText, bytes] = await Promise.all([readFile(metaFile, "utf8"), readFile(file)]);
  } catch {
    return "missing";
  }
  let meta: z.infer<typeof metaSchema>;
  try {
    meta = metaSchema.parse(JSON.parse(metaText));
  } catch {
    return "metadata unreadable";
  }
  if (meta.key !== key || meta.builderVersion !== BUILDER_VERSION) return "metadata for another key";
  if (sha256(bytes) !== meta.sha256) return "checksum mismatch";
  try {
    const model = decodeModel(bytes);
    if (model.graph.nodes.length === 0) return "decoded model has no nodes";
  } catch {
    return "bytes do not decode as an ONNX model";
  }
  return bytes;
}

export async function writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temp, data);
  await rename(temp, file);
}

/** The VJP model of `modelBytes` for `request`, from the cache or built (and stored) now. */
export async function getVjpModel(
  modelBytes: Uint8Array,
  request: VjpRequest,
  options: VjpCacheOptions = {},
): Promise<CachedVjp> {
  const dir = resolveCacheDir(options);
  const modelSha256 = sha256(modelBytes);
  const key = vjpCacheKey(modelSha256, request);
  const file = path.join(dir, `${key}.onnx`);
  const metaFile = path.join(dir, `${key}.json`);
  const cached = await readVerified(file, metaFile, key);
  if (typeof cached !== "string") return { bytes: cached, file, source: "hit" };

  const started = performance.now();
  const bytes = encodeModel(buildVjpModel(modelBytes, request));
  const buildMs = performance.now() - started;
  await mkdir(dir, { recursive: true });
  await writeAtomic(file, bytes);
  await writeAtomic(
    metaFile,
    JSON.stringify({
      key,
      sha256: sha256(bytes),
      modelSha256,
      wrt: request.wrt,
      of: request.of,
      builderVersion: BUILDER_VERSION,
    }),
  );
  return { bytes, file, source: "built", rejected: cached === "missing" ? undefined : cached, buildMs };
}

/** The external-data files a model's initializers name (ONNX `location`s, relative to the model's folder). */
export function externalDataLocations(model: Model): string[] {
  const locations = new Set<string>();
  for (const tensor of model.graph.initializers) {
    if (tensor.dataLocation !== 1) continue;
    const location = tensor.externalData?.find((entry) => entry.key === "location")?.value;
    if (location) locations.add(location);
  }
  return [...locations].sort();
}

/**
 * Same, for a model file on disk. A VJP model keeps the forward model's external-data references (the UNet's
 * `weights.pb`), which ONNX Runtime resolves inside the loaded file's own folder only: such an entry gets a
 * folder of its own, per forward folder and weights, holding the VJP model and a hard link to (or, across file
 * systems, a copy of) each weights file. Locations that are absolute or leave the model's folder are refused.
 */
export async function getVjpModelForFile(
  modelFile: string,
  request: VjpRequest,
  options: VjpCacheOptions = {},
): Promise<CachedVjp> {
  const modelBytes = new Uint8Array(await readFile(modelFile));
  const cached = await getVjpModel(modelBytes, request, options);
  const entryDir = await externalDataEntry(modelFile, modelBytes, cached.file);
  if (!entryDir) return cached;
  const entryFile = path.join(entryDir, "model.onnx");
  const written = await stat(entryFile).catch(() => undefined);
  if (cached.source === "built" || written?.size !== cached.bytes.length)
    await writeAtomic(entryFile, cached.bytes);
  return { ...cached, file: entryFile };
}

/**
 * For a model file with external-data weights: the folder (beside the cache entry `entryFile`, one per
 * forward folder and weights identity) holding a hard link to (or, across file systems, a copy of) each
 * weights file, where models derived from it must be written to load. Undefined when the model has none.
 * Locations that are absolute or leave the model's folder are refused.
 */
export async function externalDataEntry(
  modelFile: string,
  modelBytes: Uint8Array,
  entryFile: string,
): Promise<string | undefined> {
  const locations = externalDataLocations(decodeModel(modelBytes));
  if (locations.length === 0) return undefined;
  const sourceDir = path.dirname(path.resolve(modelFile));
  const identity: string[] = [sourceDir];
  for (const location of locations) {
    const normalized = path.normalize(location);
    if (path.isAbsolute(location) || normalized.startsWith("..") || normalized.includes(`..${path.sep}`)) {
      throw new Error(
        `${path.basename(modelFile)} names external data "${location}" outside its folder; re-export it with its weights beside it`,
      );
    }
    const info = await stat(path.join(sourceDir, normalized));
    identity.push(`${normalized}:${info.size}:${info.mtimeMs}:${info.ino}`);
  }
  const entryDir = path.join(
    path.dirname(entryFile),
    `${path.basename(entryFile, ".onnx")}-${sha256(identity.join("|")).slice(0, 16)}`,
  );
  await mkdir(entryDir, { recursive: true });
  for (const location of locations) {
    const target = path.join(entryDir, path.normalize(location));
    const existing = await stat(target).catch(() => undefined);
    if (existing) continue;
    await mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}.${process.pid}.${Date.now()}.tmp`;
    const source = path.join(sourceDir, path.normalize(location));
    await link(source, temp).catch(() => copyFile(source, temp));
    await rename(temp, target);
  }
  return entryDir;
}
