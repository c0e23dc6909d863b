/**
 * The pre-run memory check (issue 15 item 4, issue 14 item 5): before the backward models are built and
 * loaded, the run's peak is estimated from the model's files and graphs (server/onnx/memory-estimate.ts) and
 * compared with the budget — DNO_MEMORY_BUDGET_MB on the CPU, ORT_DEVICE_MEMORY_MB (when set) on a GPU
 * provider. A run that would not fit fails here with a sentence that says what to change.
 */
import { readFileSync, statSync } from "node:fs";
import type { DiffusionModel } from "@/server/models/folder";
import { readOnnxLimits } from "@/server/onnx/config";
import { memoryBudgetBytes } from "@/server/onnx/memory-budget";
import {
  estimateRunMemory,
  FLOAT16_CAST_WEIGHTS_SHARE,
  FLOAT16_ON_CPU_BYTES,
  formatGb,
  forwardIntermediateBytes,
  type RunMemoryEstimate,
  RUNTIME_BYTES,
  RUNTIME_PER_UNET_BYTE,
  VAE_VJP_ACTIVATION_FACTOR,
  VJP_ACTIVATION_FACTOR,
  type WeightFile,
  weightFilesOf,
} from "@/server/onnx/memory-estimate";
import { externalDataBytesBeside, sharesWeights } from "@/server/onnx/memory-sharing";
import type { OnnxModel } from "@/server/onnx/types";
import type { Model } from "@/server/autodiff/ir";
import { decodeModel } from "@/server/autodiff/proto";
import { segmentModel } from "@/server/autodiff/segments";
import { DECODER_SEGMENT_BYTES } from "./decoder-segments";
import type { ExecutorEnvironment } from "./environment";
import { ExecutorError } from "./errors";
import { unetVjpRowsPerCall } from "./vjp-rows";

export interface RunMemoryFacts {
  readonly model: DiffusionModel;
  readonly batch: number;
  readonly steps: number;
  /** Store mode: the activations kept per sampler step (chain-memory.ts); absent with recompute. */
  readonly storedBytesPerStep?: number;
}

function statOf(file: string): { size: number; dev: number; ino: number } | undefined {
  try {
    const info = statSync(file);
    return info.isFile() ? { size: info.size, dev: info.dev, ino: info.ino } : undefined;
  } catch {
    return undefined;
  }
}

/** Dims the sampler feeds a UNet input for `rows` rows (sample, timestep, text embeddings). */
function unetDims(model: DiffusionModel, rows: number): Record<string, number[]> {
  const dims: Record<string, number[]> = {};
  const { channels, height, width } = model.latent;
  for (const input of model.unet.inputs) {
    if (input.shape.length === 4) dims[input.name] = [rows, channels, height, width];
    else if (input.shape.length === 3) dims[input.name] = [rows, model.tokens, model.hiddenWidth];
    else if (input.shape.length === 1) dims[input.name] = [input.shape[0] === 1 ? 1 : rows];
    else dims[input.name] = [];
  }
  return dims;
}

/** Activations of one VJP call of `part` for these input dims (0 when the graph cannot be read). */
function vjpCallBytes(
  part: OnnxModel | Model,
  dims: Record<string, number[]>,
  factor: number,
  float16Bytes: number,
): number {
  try {
    const graph = "path" in part ? new Uint8Array(readFileSync(part.path)) : part;
    const { bytes } = forwardIntermediateBytes(graph, dims, { float16Bytes });
    return Math.ceil(bytes * factor);
  } catch {
    return 0;
  }
}

/**
 * Activations of the decoder's backward for one call of these latent dims: one VJP call, or where its
 * backward runs in segments (decoder-segments.ts) the largest segment's call plus the cuts kept meanwhile.
 */
export function decoderCallBytes(
  model: DiffusionModel,
  dims: number[],
  float16Bytes: number,
  maxBytes = DECODER_SEGMENT_BYTES,
): number {
  let graph: Model;
  try {
    // Decoded once for both the segment plan and the whole call's bytes (198 MB for the SD-1.5 decoder).
    graph = decodeModel(new Uint8Array(readFileSync(model.vaeDecoder.path)));
  } catch {
    return 0;
  }
  try {
    const plan = segmentModel(graph, {
      input: model.io.vaeInput,
      output: model.io.vaeOutput,
      inputDims: dims,
      maxBytes,
      float16Bytes,
    });
    if (plan.segments.length > 1)
      return Math.ceil(Math.max(...plan.bytes) * VAE_VJP_ACTIVATION_FACTOR + plan.cutBytes);
  } catch {
    // Not segmentable as read: the whole VJP's estimate below.
  }
  return vjpCallBytes(graph, { [model.io.vaeInput]: dims }, VAE_VJP_ACTIVATION_FACTOR, float16Bytes);
}

/** The estimate of a DNO run on this model (graphs and file sizes only; no weights are read). */
export function estimateDnoRunMemory(facts: RunMemoryFacts, provider: string): RunMemoryEstimate {
  const { model, batch } = facts;
  const setting = readOnnxLimits().shareWeights;
  const copiesOf = (part: OnnxModel, sessions: number) =>
    sharesWeights({ setting, provider, externalDataBytes: externalDataBytesBeside(part.path) })
      ? 1
      : sessions;
  // Forward and VJP sessions of the UNet and the decoder (store mode adds its split forward and backward).
  const backwardSessions = facts.storedBytesPerStep === undefined ? 2 : 4;
  const weights: WeightFile[] = [
    ...weightFilesOf(model.textEncoder.path, 1, statOf),
    ...weightFilesOf(model.unet.path, copiesOf(model.unet, backwardSessions), statOf),
    ...weightFilesOf(model.vaeDecoder.path, copiesOf(model.vaeDecoder, 2), statOf),
  ];
  // CFG runs both halves: 2·batch rows, in chunks of a fixed-batch export; recompute's whole VJP pulls
  // large UNets back one row per call (vjp-rows.ts), store's split backward takes the forward's calls.
  const rows =
    facts.storedBytesPerStep === undefined
      ? unetVjpRowsPerCall(model, 2 * batch)
      : (model.fixedBatch.unet ?? 2 * batch);
  const { channels, height, width } = model.latent;
  const vaeRows = model.fixedBatch.vae ?? batch;
  // A float16 export computes in float32 on the CPU (FLOAT16_ON_CPU_BYTES): its tensors and the weights a
  // VJP call transposes or casts take float32 bytes there.
  const float16Bytes = provider === "cpu" ? FLOAT16_ON_CPU_BYTES : 2;
  const unetIsFloat16 = model.unet.inputs.some((input) => input.castFrom === "float16");
  const unetWeightBytes = weightFilesOf(model.unet.path, 1, statOf).reduce(
    (sum, file) => sum + file.bytes,
    0,
  );
  return estimateRunMemory({
    weights,
    unetCallBytes: vjpCallBytes(model.unet, unetDims(model, rows), VJP_ACTIVATION_FACTOR, float16Bytes),
    vaeCallBytes: decoderCallBytes(model, [vaeRows, channels, height, width], float16Bytes),
    ...(facts.storedBytesPerStep === undefined
      ? {}
      : { storedBytesPerStep: facts.storedBytesPerStep, steps: facts.steps }),
    runtimeBytes: Math.ceil(
      RUNTIME_BYTES +
        RUNTIME_PER_UNET_BYTE * unetWeightBytes * (unetIsFloat16 ? float16Bytes / 2 : 1) +
        (unetIsFloat16 && float16Bytes > 2
          ? FLOAT16_CAST_WEIGHTS_SHARE * unetWeightBytes * (float16Bytes / 2)
          : 0),
    ),
  });
}

/** The budget this run is held to, and the setting that sets it (named in the refusal). */
export function runBudget(
  provider: string,
  hostBudget: number,
): { bytes: number; setting: string; where: string } {
  const device = readOnnxLimits().deviceMemoryBytes;
  if (provider !== "cpu" && device > 0)
    return { bytes: device, setting: "ORT_DEVICE_MEMORY_MB", where: `${provider} device memory` };
  return { bytes: hostBudget, setting: "DNO_MEMORY_BUDGET_MB", where: "memory" };
}

/** The sentence of a refusal: the model, the estimate, the budget, what to do. */
export function refusalMessage(options: {
  readonly modelName: string;
  readonly estimate: RunMemoryEstimate;
  readonly budget: { bytes: number; setting: string; where: string };
  readonly batch: number;
  readonly latent: { height: number; width: number };
  /** Pixels per latent cell (the model's VAE scale; 8 when not given). */
  readonly vaeScale?: number;
}): string {
  const { estimate, budget } = options;
  const parts = [
    `${formatGb(estimate.weightsBytes)} of weights`,
    `${formatGb(estimate.activationBytes)} for one backward call at ${options.batch} image${options.batch === 1 ? "" : "s"} of ${options.latent.width * (options.vaeScale ?? 8)}×${options.latent.height * (options.vaeScale ?? 8)} px`,
    ...(estimate.storedBytes > 0 ? [`${formatGb(estimate.storedBytes)} of stored activations`] : []),
  ];
  return (
    `This run needs about ${formatGb(estimate.totalBytes)} of ${budget.where} with model “${options.modelName}” ` +
    `(${parts.join(", ")}), more than the budget of ${formatGb(budget.bytes)} (${budget.setting}). ` +
    "Use fewer images per run or a smaller Image size on the Sampler" +
    (estimate.storedBytes > 0 ? ", or DNO_MEMORY_MODE=recompute" : "") +
    `, raise ${budget.setting} if the machine has the memory, or run it on a host with a GPU.`
  );
}

/** Refuses (PLAN_REFUSED) a run whose estimate is over its budget; returns the estimate otherwise. */
export function checkRunMemory(
  facts: RunMemoryFacts,
  env: Pick<ExecutorEnvironment, "onnx" | "memoryBudgetBytes">,
  options: { nodeId?: string } = {},
): RunMemoryEstimate {
  const provider = env.onnx.executionProvider;
  const estimate = estimateDnoRunMemory(facts, provider);
  const budget = runBudget(provider, env.memoryBudgetBytes ?? memoryBudgetBytes());
  if (estimate.totalBytes > budget.bytes) {
    throw new ExecutorError(
      "PLAN_REFUSED",
      refusalMessage({
        modelName: facts.model.name,
        estimate,
        budget,
        batch: facts.batch,
        latent: facts.model.latent,
        vaeScale: facts.model.imageSize.vaeScale,
      }),
      options.nodeId === undefined ? {} : { nodeId: options.nodeId },
    );
  }
  return estimate;
}
