/**
 * How many rows one UNet VJP call takes in recompute mode (METHOD.md §4). A VJP call keeps its forward's
 * activations until its backward has used them, so its memory grows with its rows: at 512 px the full SD-1.5
 * UNet's forward computes 33 GB of intermediates for the 2 CFG rows of one image (five 64×64 self-attentions
 * of 2×8×4096×4096 probabilities, 1 GiB each), 16.5 GB for one. Large UNets therefore pull back one row per
 * call — the VJP is linear in the cotangent and the rows are independent, so the CFG halves' gradients are
 * the same (chain's per-row test) and the compute is the same; small models keep one call over all rows,
 * where the per-call overhead would show.
 */
import { statSync } from "node:fs";
import type { DiffusionModel } from "@/server/models/folder";
import type { OnnxModel } from "@/server/onnx/types";
import { externalDataBytesBeside, SHARE_WEIGHTS_AUTO_MIN_BYTES } from "@/server/onnx/memory-sharing";

/** UNets with at least this many bytes of weights (graph + external data) pull back one row per call. */
export const PER_ROW_VJP_MIN_BYTES = SHARE_WEIGHTS_AUTO_MIN_BYTES;

/** Bytes of a model file and the external data beside it (0 for what cannot be read). */
function weightBytes(modelPath: string): number {
  let own = 0;
  try {
    own = statSync(modelPath).size;
  } catch {
    own = 0;
  }
  return own + externalDataBytesBeside(modelPath);
}

/**
 * Rows per UNet VJP call for `rows` rows (2·batch with CFG): a fixed-batch export's batch, one row for a
 * large UNet, all rows otherwise. `requested` (ChainOptions.vjpRowsPerCall) overrides the size rule.
 */
export function unetVjpRowsPerCall(
  model: {
    readonly fixedBatch: Pick<DiffusionModel["fixedBatch"], "unet">;
    readonly unet: Pick<OnnxModel, "path">;
  },
  rows: number,
  requested?: number,
): number {
  if (model.fixedBatch.unet !== null) return model.fixedBatch.unet;
  if (requested !== undefined) {
    if (!Number.isInteger(requested) || requested < 1 || rows % requested !== 0)
      throw new RangeError(`vjpRowsPerCall ${requested} does not divide ${rows} rows.`);
    return requested;
  }
  return weightBytes(model.unet.path) >= PER_ROW_VJP_MIN_BYTES ? 1 : rows;
}
