/**
 * On-disk cache of a model's segments (segments.ts), next to the VJP models: one entry per (sha256 of the
 * model, input, output, input dims, byte bound, SEGMENTS_VERSION) holds `<key>.segments.json` (each
 * segment's names and sha256) and `<key>.segment-<i>.onnx`. Entries are verified like VJP entries and rebuilt
 * when anything is off. A model that stays whole is recorded as such (no segment files), so it is not
 * analysed again. The segments' VJP models go through the VJP cache like any model's.
 */
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { resolveCacheDir, sha256, type VjpCacheOptions, writeAtomic } from "./cache";
import { decodeModel, encodeModel } from "./proto";
import { SEGMENTS_VERSION, segmentModel } from "./segments";

export interface SegmentRequest {
  readonly input: string;
  readonly output: string;
  readonly inputDims: readonly number[];
  readonly maxBytes: number;
}

export interface CachedSegment {
  readonly file: string;
  readonly input: string;
  readonly passed: readonly string[];
  readonly output: string;
  /** Bytes of its intermediates at the request's dims. */
  readonly bytes: number;
}

const metaSchema = z.object({
  key: z.string(),
  version: z.number(),
  segments: z.array(
    z.object({
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      input: z.string(),
      passed: z.array(z.string()),
      output: z.string(),
      bytes: z.number(),
    }),
  ),
});
type Meta = z.infer<typeof metaSchema>;

export function segmentCacheKey(modelSha256: string, request: SegmentRequest): string {
  return sha256(
    JSON.stringify({
      model: modelSha256,
      input: request.input,
      output: request.output,
      dims: request.inputDims,
      maxBytes: request.maxBytes,
      version: SEGMENTS_VERSION,
    }),
  );
}

const segmentFile = (dir: string, key: string, index: number) =>
  path.join(dir, `${key}.segment-${index + 1}.onnx`);

async function readEntry(dir: string, key: string): Promise<Meta | null> {
  try {
    const meta = metaSchema.parse(JSON.parse(await readFile(path.join(dir, `${key}.segments.json`), "utf8")));
    if (meta.key !== key || meta.version !== SEGMENTS_VERSION) return null;
    for (const [index, segment] of meta.segments.entries()) {
      const bytes = await readFile(segmentFile(dir, key, index));
      if (sha256(bytes) !== segment.sha256) return null;
    }
    return meta;
  } catch {
    return null;
  }
}

/**
 * The segments of a model file for `request`, from the cache or cut (and stored) now; null when the model
 * stays whole (it fits the bound, has no cut point, or has external-data weights).
 */
export async function getModelSegmentsForFile(
  modelFile: string,
  request: SegmentRequest,
  options: VjpCacheOptions = {},
): Promise<CachedSegment[] | null> {
  const modelBytes = new Uint8Array(await readFile(modelFile));
  const dir = resolveCacheDir(options);
  const key = segmentCacheKey(sha256(modelBytes), request);
  let meta = await readEntry(dir, key);
  if (!meta) {
    const plan = segmentModel(decodeModel(modelBytes), request);
    const encoded = plan.segments.length > 1 ? plan.segments.map((s) => encodeModel(s.model)) : [];
    await mkdir(dir, { recursive: true });
    for (const [index, bytes] of encoded.entries()) await writeAtomic(segmentFile(dir, key, index), bytes);
    meta = {
      key,
      version: SEGMENTS_VERSION,
      segments: encoded.map((bytes, index) => {
        const segment = plan.segments[index]!;
        return {
          sha256: sha256(bytes),
          input: segment.input,
          passed: [...segment.passed],
          output: segment.output,
          bytes: plan.bytes[index] ?? 0,
        };
      }),
    };
    await writeAtomic(path.join(dir, `${key}.segments.json`), JSON.stringify(meta));
  }
  if (meta.segments.length < 2) return null;
  return meta.segments.map(({ sha256: _, ...segment }, index) => ({
    ...segment,
    file: segmentFile(dir, key, index),
  }));
}
