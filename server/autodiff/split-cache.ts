/**
 * On-disk cache of split VJP models (store mode, split.ts), next to the VJP models: one entry per
 * (sha256 of the forward model, wrt, of, builder and split versions) holds `<key>.split-forward.onnx`,
 * `<key>.split-backward.onnx` and `<key>.split.json` (sha256 of both files, the residuals). Entries are
 * verified like VJP entries and rebuilt when anything is off. Models with external-data weights get a folder
 * per forward folder and weights identity with both parts and hard links to the weights (cache.ts).
 */
import { readFile, stat } from "node:fs/promises";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { externalDataEntry, resolveCacheDir, sha256, type VjpCacheOptions, writeAtomic } from "./cache";
import { decodeModel, encodeModel } from "./proto";
import { type Residual, SPLIT_VERSION, splitVjpIr } from "./split";
import { BUILDER_VERSION, type VjpRequest } from "./vjp";

export interface CachedSplitVjp {
  /** (a): forward inputs → `of` and the residuals. */
  readonly forwardFile: string;
  /** (b): residuals, grad_<of> and `backwardForwardInputs` → grad_<wrt>. */
  readonly backwardFile: string;
  readonly residuals: readonly Residual[];
  readonly backwardForwardInputs: readonly string[];
  readonly source: "hit" | "built";
  readonly buildMs?: number;
}

const metaSchema = z.object({
  key: z.string(),
  forwardSha256: z.string().regex(/^[0-9a-f]{64}$/),
  backwardSha256: z.string().regex(/^[0-9a-f]{64}$/),
  builderVersion: z.number(),
  splitVersion: z.number(),
  residuals: z.array(z.object({ name: z.string(), elemType: z.number(), rank: z.number().nullable() })),
  backwardForwardInputs: z.array(z.string()),
});
type Meta = z.infer<typeof metaSchema>;

export function splitCacheKey(modelSha256: string, request: VjpRequest): string {
  return sha256(
    JSON.stringify({
      model: modelSha256,
      wrt: request.wrt,
      of: request.of,
      builder: BUILDER_VERSION,
      split: SPLIT_VERSION,
    }),
  );
}

async function readEntry(
  files: { forward: string; backward: string; meta: string },
  key: string,
): Promise<{ meta: Meta; forward: Uint8Array; backward: Uint8Array } | null> {
  try {
    const [metaText, forward, backward] = await Promise.all([
      readFile(files.meta, "utf8"),
      readFile(files.forward),
      readFile(files.backward),
    ]);
    const meta = metaSchema.parse(JSON.parse(metaText));
    if (meta.key !== key || meta.builderVersion !== BUILDER_VERSION || meta.splitVersion !== SPLIT_VERSION)
      return null;
    if (sha256(forward) !== meta.forwardSha256 || sha256(backward) !== meta.backwardSha256) return null;
    decodeModel(forward);
    decodeModel(backward);
    return { meta, forward: new Uint8Array(forward), backward: new Uint8Array(backward) };
  } catch {
    return null;
  }
}

/** The split VJP models of a model file for `request`, from the cache or built (and stored) now. */
export async function getSplitVjpModelForFile(
  modelFile: string,
  request: VjpRequest,
  options: VjpCacheOptions = {},
): Promise<CachedSplitVjp> {
  const modelBytes = new Uint8Array(await readFile(modelFile));
  const dir = resolveCacheDir(options);
  const key = splitCacheKey(sha256(modelBytes), request);
  const files = {
    forward: path.join(dir, `${key}.split-forward.onnx`),
    backward: path.join(dir, `${key}.split-backward.onnx`),
    meta: path.join(dir, `${key}.split.json`),
  };
  let entry = await readEntry(files, key);
  let source: CachedSplitVjp["source"] = "hit";
  let buildMs: number | undefined;
  if (!entry) {
    const started = performance.now();
    const split = splitVjpIr(modelBytes, request);
    const forward = encodeModel(split.forward);
    const backward = encodeModel(split.backward);
    buildMs = performance.now() - started;
    const meta: Meta = {
      key,
      forwardSha256: sha256(forward),
      backwardSha256: sha256(backward),
      builderVersion: BUILDER_VERSION,
      splitVersion: SPLIT_VERSION,
      residuals: split.residuals.map((r) => ({ ...r })),
      backwardForwardInputs: [...split.backwardForwardInputs],
    };
    await mkdir(dir, { recursive: true });
    await writeAtomic(files.forward, forward);
    await writeAtomic(files.backward, backward);
    await writeAtomic(files.meta, JSON.stringify(meta));
    entry = { meta, forward, backward };
    source = "built";
  }
  const result = {
    residuals: entry.meta.residuals,
    backwardForwardInputs: entry.meta.backwardForwardInputs,
    source,
    ...(buildMs === undefined ? {} : { buildMs }),
  };
  const entryDir = await externalDataEntry(
    modelFile,
    modelBytes,
    files.forward.replace(/\.split-forward\.onnx$/, ".split.onnx"),
  );
  if (!entryDir) return { ...result, forwardFile: files.forward, backwardFile: files.backward };
  // ONNX Runtime finds external data beside the loaded file only: both parts live beside the weights' links.
  const placed = {
    forward: path.join(entryDir, "forward.onnx"),
    backward: path.join(entryDir, "backward.onnx"),
  };
  for (const [file, bytes] of [
    [placed.forward, entry.forward],
    [placed.backward, entry.backward],
  ] as const) {
    const written = await stat(file).catch(() => undefined);
    if (source === "built" || written?.size !== bytes.length) await writeAtomic(file, bytes);
  }
  return { ...result, forwardFile: placed.forward, backwardFile: placed.backward };
}
