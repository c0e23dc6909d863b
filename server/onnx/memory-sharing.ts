/**
 * Weights shared between sessions (issue 15 item 4). onnxruntime-node has no AddInitializer or prepacked-weights
 * container, but ONNX Runtime maps a model's external-data file (`weights.pb`) into memory on the CPU and
 * computes straight from the mapping when nothing copies the weights: no prepacking (MLAS repacks MatMul/Gemm
 * weights into private buffers) and no layout transform (level "all" rewrites Conv weights into NCHWc copies).
 * Mapped pages live in the page cache, so every session that maps the same file — the forward model and its
 * VJP model (the VJP cache hard-links the same weights file), other batch sizes, other worker processes —
 * shares one copy. Measured on the SD-1.5 UNet (3.4 GB of weights; ARCHITECTURE.md, server/onnx): two
 * forward sessions took 6.7 GB with the defaults and 0.12 GB plus one 3.3 GB mapping shared by both with these
 * options; forward + VJP sessions after a VJP call at 2×4×32×32: PSS 5.4 GB (earlier, private copies: 14.8 GB).
 *
 * ORT_SHARE_WEIGHTS: auto (default: models whose external data take at least 512 MiB, on the CPU provider),
 * on (every model with external data), off (never).
 */
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import type * as ort from "onnxruntime-node";

export type WeightSharing = "auto" | "on" | "off";

/** In auto, models with at least this much external data share their weights. */
export const SHARE_WEIGHTS_AUTO_MIN_BYTES = 512 * 1024 ** 2;

/** Files beside a model that are not its weights (configs, docs, other graphs). */
const notWeights = /\.(json|md|txt|onnx)$/i;

/**
 * Bytes of the external-data files beside a model (e.g. `unet/weights.pb`): ONNX Runtime reads external data
 * from the model's own folder only, so the folder's other data files are what a session may map.
 */
export function externalDataBytesBeside(modelPath: string): number {
  const dir = path.dirname(path.resolve(modelPath));
  const own = path.basename(modelPath);
  let total = 0;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (entry === own || notWeights.test(entry)) continue;
    try {
      const stat = statSync(path.join(dir, entry));
      if (stat.isFile()) total += stat.size;
    } catch {
      // Gone meanwhile: not a weight this session will read.
    }
  }
  return total;
}

/** Whether a session maps and shares its weights instead of copying (and repacking) them. */
export function sharesWeights(options: {
  readonly setting: WeightSharing;
  readonly provider: string;
  readonly externalDataBytes: number;
}): boolean {
  // GPU providers copy the weights to the device whatever the host does with them.
  if (options.provider !== "cpu" || options.externalDataBytes === 0 || options.setting === "off")
    return false;
  return options.setting === "on" || options.externalDataBytes >= SHARE_WEIGHTS_AUTO_MIN_BYTES;
}

/**
 * The session options that keep weights in the file mapping: graph optimizations up to "extended" (basic
 * fusions, no NCHWc layout copies), prepacking off, and no constant folding — VJP models transpose weights
 * (`Transpose(W)` feeding the input gradient's MatMul: 98 in the SD UNet's VJP) and folding would store each
 * transposed weight as a private copy; unfolded, each call transposes one weight at a time. Measured on a
 * 64 MiB MatMul weight: folded, 64 MiB private per session; unfolded, mapped and shared.
 */
export function sharedWeightsOptions(): Pick<
  ort.InferenceSession.SessionOptions,
  "graphOptimizationLevel" | "extra"
> {
  return {
    graphOptimizationLevel: "extended",
    extra: {
      session: { disable_prepacking: "1" },
      optimization: { disable_specified_optimizers: "ConstantFolding" },
    },
  };
}

/**
 * ONNX Runtime's CPU memory arena off for every CPU session. The arena (one per session) grows to the session's
 * peak and never gives memory back, so the peaks of the UNet forward, UNet VJP, VAE decoder and VAE VJP sessions
 * added up. Measured on the full SD-1.5 VAE decoder's VJP at 512 px: with the arena, 14.9 GB resident after the
 * call, held while the UNet's VJPs ran; without, a 10.7 GB peak during the call and 1.3 GB after it. Without it
 * ORT allocates from malloc: tensors over glibc's mmap threshold (≤ 32 MiB) are mapped per allocation and
 * unmapped when freed, so each session holds memory only while it runs. The run-option alternative
 * (memory.enable_memory_arena_shrinkage) is not passed through by onnxruntime-node's RunOptions. Speed on the
 * bundled model, interleaved medians: UNet 23.9 ms with the arena, 22.8 ms without; VAE decoder 42.5 / 43.3 ms.
 * GPU providers keep their own allocators (this option only concerns the CPU arena).
 */
export function cpuArenaOptions(
  provider: string,
): Pick<ort.InferenceSession.SessionOptions, "enableCpuMemArena"> {
  return provider === "cpu" ? { enableCpuMemArena: false } : {};
}
