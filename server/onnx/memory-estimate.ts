/**
 * What a DNO run needs in memory at its peak, estimated before it starts (issue 15 item 4, issue 14 item 5), so
 * that a run that cannot fit is refused with a sentence instead of failing mid-run (METHOD.md §4, "Memory"):
 *
 *   peak = weights + max(UNet VJP call, VAE-decoder VJP call) + storedBytesPerStep × steps + runtime
 *
 * (a max, not a sum: CPU sessions run without a memory arena and give a call's memory back when it ends,
 * memory-sharing.ts).
 * - weights: every model file and its external data, once per session that holds a private copy; a file
 *   whose weights are mapped and shared (memory-sharing.ts) counts once for all its sessions.
 * - a VJP call keeps the forward's intermediates for its backward: VJP_ACTIVATION_FACTOR (UNet) or
 *   VAE_VJP_ACTIVATION_FACTOR (decoder) × the bytes of every intermediate tensor of the forward graph at the
 *   call's input sizes (shape inference on the graph, which carries the attention's quadratic term at large
 *   latents), for the rows of one call (vjp-rows.ts: one row for large UNets in recompute mode).
 * - storedBytesPerStep × steps: store mode's activations kept across the chain (chain-memory.ts passes them).
 * - runtime: Node, ONNX Runtime and the VJP graphs themselves (RUNTIME_BYTES), plus RUNTIME_PER_UNET_BYTE × the
 *   UNet's weight bytes for what grows with the model (see there).
 * Only the graphs are read (no weights): the estimate costs well under a second for a full-size UNet.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { externalDataLocations } from "@/server/autodiff/cache";
import { bytesPerElement, DataType, type Model } from "@/server/autodiff/ir";
import { decodeModel, toModel } from "@/server/autodiff/proto";
import { analyzeModelAt } from "@/server/autodiff/vjp";

/**
 * Peak of one UNet VJP call over the sum of the forward graph's intermediates at the same sizes (ONNX Runtime
 * frees what the backward no longer needs). Measured on the tiny SD-1.5 UNet's VJP model, 2 rows, 77 tokens:
 * peak growth 169 MB vs 440 MB of intermediates at 32×32 latents (0.38), 2,113 MB vs 5,853 MB at 64×64 (0.36);
 * rounded up to err high.
 */
export const VJP_ACTIVATION_FACTOR = 0.45;

/**
 * The same ratio for VAE decoders, whose backward keeps more of its forward (every GroupNorm/SiLU/conv input at
 * full resolution). Measured on the full-size SD-1.5 decoder's VJP at 512 px, one image, no memory arena
 * (memory-sharing.ts): peak 9.3 GiB over the sessions vs 15.5 GiB of intermediates (0.60); rounded up.
 */
export const VAE_VJP_ACTIVATION_FACTOR = 0.65;

/** Node, ONNX Runtime, the VJP graphs and the run's own buffers (measured: ≈ 0.3–0.6 GB with SD-size graphs). */
export const RUNTIME_BYTES = 600 * 1024 ** 2;

/**
 * Memory that grows with the UNet and is in neither term above: the VJP sessions' own state, weights transposed
 * inside a VJP call (constant folding is off for shared weights, memory-sharing.ts) and heap that malloc keeps
 * after the UNet's VJP calls (freed blocks under its mmap threshold stay resident). Fitted to the full-size
 * SD-1.5 float32 (3.2 GiB of UNet weights), one image, recompute, bench:scale: peak 9,065 MiB at 256 px where
 * weights + the larger call + RUNTIME_BYTES say 7,270 MiB; at 512 px the estimate then errs high (17.0 GB for
 * 14.6 GB measured).
 */
export const RUNTIME_PER_UNET_BYTE = 0.6;

/**
 * Bytes a float16 tensor of a float16 export takes while ONNX Runtime's CPU provider runs it: on x86 its CPU
 * kernels for Conv, MatMul, the normalizations and most elementwise ops are float32 only, so it inserts Casts
 * around them and computes the graph in float32 (weights are cast per call too, since constant folding is off
 * for shared weights, memory-sharing.ts). Measured on the full-size SD-1.5 float16 export at 256 px, recompute:
 * peak 8.0 GB where float16-sized intermediates and weights estimated 4.9 GB (float32 export: 9.3 GB).
 */
export const FLOAT16_ON_CPU_BYTES = 4;

/**
 * A float16 UNet's weights cast to float32 inside a VJP call stay alive from their forward use to their
 * backward use: this share of the UNet's float32-size weights is added on the CPU. Fitted to the full-size
 * SD-1.5 float16 export at 256 px, recompute (peak 8,010 MiB; float32-size tensors and runtime term alone
 * said 7,176 MiB).
 */
export const FLOAT16_CAST_WEIGHTS_SHARE = 0.25;

/**
 * Bytes of every tensor the forward graph computes (node outputs) for these input dims, from shape
 * inference; `unknown` counts the outputs whose size stayed unknown (they add nothing). `float16Bytes`: what
 * a float16 tensor takes where the graph is run (4 on the CPU, see FLOAT16_ON_CPU_BYTES).
 */
export function forwardIntermediateBytes(
  graph: Uint8Array | Model,
  inputDims: Readonly<Record<string, readonly number[]>>,
  options: { readonly float16Bytes?: number } = {},
): { bytes: number; unknown: number } {
  const model = toModel(graph);
  const { infos } = analyzeModelAt(model, inputDims);
  let bytes = 0;
  let unknown = 0;
  for (const node of model.graph.nodes) {
    for (const output of node.outputs) {
      if (!output) continue;
      const info = infos.get(output);
      const shape = info?.shape;
      if (!info || !shape || shape.some((d) => typeof d !== "number")) {
        unknown += 1;
        continue;
      }
      const element =
        info.elemType === DataType.FLOAT16
          ? (options.float16Bytes ?? 2)
          : (bytesPerElement(info.elemType) ?? 4);
      bytes += (shape as number[]).reduce((a, b) => a * b, 1) * element;
    }
  }
  return { bytes, unknown };
}

/** One weights file (a graph with embedded weights, or an external-data file) and how sessions hold it. */
export interface WeightFile {
  /** Identity of the bytes (e.g. device:inode), so hard links and repeated files count once. */
  readonly key: string;
  readonly bytes: number;
  /** Sessions holding a private copy of it; 1 when it is mapped and shared by all its sessions. */
  readonly copies: number;
}

export interface RunMemoryInput {
  readonly weights: readonly WeightFile[];
  /** Activations of one UNet VJP call (all its rows). */
  readonly unetCallBytes: number;
  /** Activations of one VAE-decoder VJP call. */
  readonly vaeCallBytes: number;
  /** Store mode: activations kept per sampler step, and the steps they are kept for. */
  readonly storedBytesPerStep?: number;
  readonly steps?: number;
  readonly runtimeBytes?: number;
}

export interface RunMemoryEstimate {
  readonly totalBytes: number;
  readonly weightsBytes: number;
  /** The larger of one UNet VJP call and one VAE-decoder VJP call (each given back when it ends). */
  readonly activationBytes: number;
  readonly unetCallBytes: number;
  readonly vaeCallBytes: number;
  readonly storedBytes: number;
  readonly runtimeBytes: number;
}

/** The arithmetic (pure): see the module comment. */
export function estimateRunMemory(input: RunMemoryInput): RunMemoryEstimate {
  const byKey = new Map<string, WeightFile>();
  for (const file of input.weights) {
    const known = byKey.get(file.key);
    // The same bytes loaded by several parts: the most private copies any of them asks for.
    if (!known || file.copies > known.copies) byKey.set(file.key, file);
  }
  let weightsBytes = 0;
  for (const file of byKey.values()) weightsBytes += file.bytes * file.copies;
  const activationBytes = Math.max(input.unetCallBytes, input.vaeCallBytes);
  const storedBytes = (input.storedBytesPerStep ?? 0) * (input.steps ?? 0);
  const runtimeBytes = input.runtimeBytes ?? RUNTIME_BYTES;
  return {
    totalBytes: weightsBytes + activationBytes + storedBytes + runtimeBytes,
    weightsBytes,
    activationBytes,
    unetCallBytes: input.unetCallBytes,
    vaeCallBytes: input.vaeCallBytes,
    storedBytes,
    runtimeBytes,
  };
}

/** A model file and its external data as weight files (missing data files count as 0 bytes). */
export function weightFilesOf(
  modelPath: string,
  copies: number,
  stat: (file: string) => { size: number; dev: number; ino: number } | undefined,
): WeightFile[] {
  const files: WeightFile[] = [];
  const own = stat(modelPath);
  if (own) files.push({ key: `${own.dev}:${own.ino}`, bytes: own.size, copies });
  let locations: string[] = [];
  try {
    locations = externalDataLocations(decodeModel(new Uint8Array(readFileSync(modelPath))));
  } catch {
    locations = [];
  }
  for (const location of locations) {
    const info = stat(path.join(path.dirname(modelPath), location));
    if (info) files.push({ key: `${info.dev}:${info.ino}`, bytes: info.size, copies });
  }
  return files;
}

export function formatGb(bytes: number): string {
  const gb = bytes / 1024 ** 3;
  return gb >= 10
    ? `${gb.toFixed(0)} GB`
    : gb >= 1
      ? `${gb.toFixed(1)} GB`
      : `${Math.round(bytes / 1024 ** 2)} MB`;
}
