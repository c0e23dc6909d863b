/**
 * Which file a scoring model's sessions load. A large single-file scorer (≥ 512 MiB, the same rule as
 * external-data models in server/onnx/memory-sharing.ts) is loaded from its external-data copy in the VJP
 * cache (server/autodiff/external-copy.ts), so its forward session maps `weights.pb` and its VJP session maps a
 * hard link of the same file: one page-cache copy of the weights instead of one private copy per session.
 * Everything else loads the uploaded file itself. The upload is never changed.
 */
import path from "node:path";
import { getExternalCopy } from "@/server/autodiff/external-copy";
import type { VjpCacheOptions } from "@/server/autodiff/cache";
import { readOnnxLimits } from "@/server/onnx/config";
import {
  externalDataBytesBeside,
  SHARE_WEIGHTS_AUTO_MIN_BYTES,
  type WeightSharing,
} from "@/server/onnx/memory-sharing";
import { stat } from "node:fs/promises";

export interface ScorerFileOptions {
  readonly provider: string;
  /** Default: ORT_SHARE_WEIGHTS. */
  readonly setting?: WeightSharing;
  /** Single files of at least this size get the copy (default 512 MiB; tests lower it). */
  readonly minBytes?: number;
  readonly vjpCache?: VjpCacheOptions;
}

/** Uploads are stored under their content hash (server/assets/asset-store.ts): the name is what to verify. */
const STORED_UNDER_HASH = /^([0-9a-f]{64})\.onnx$/;

export async function scorerSessionFile(file: string, options: ScorerFileOptions): Promise<string> {
  const setting = options.setting ?? readOnnxLimits().shareWeights;
  // GPU providers copy weights to the device anyway; a model with external data already shares them.
  if (options.provider !== "cpu" || setting === "off" || externalDataBytesBeside(file) > 0) return file;
  const minBytes = options.minBytes ?? (setting === "on" ? 0 : SHARE_WEIGHTS_AUTO_MIN_BYTES);
  if ((await stat(file)).size < minBytes) return file;
  const expectedSha256 = STORED_UNDER_HASH.exec(path.basename(file))?.[1];
  const copy = await getExternalCopy(file, {
    ...options.vjpCache,
    ...(expectedSha256 ? { expectedSha256 } : {}),
  });
  return copy.file;
}
