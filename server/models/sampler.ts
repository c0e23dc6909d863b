/**
 * Prompt encoding and the DDIM sampler with classifier-free guidance (METHOD.md §2).
 *
 * The initial latent and every per-step noise are explicit tensors passed in: the DNO optimizer owns them.
 * CFG runs both branches in one UNet call of batch 2B, rows [uncond_0..uncond_{B−1}, cond_0..cond_{B−1}].
 * The loop reuses one input and one output buffer for the UNet (ONNX Runtime writes the output in place),
 * so a step allocates only the new latent, which is kept: `latents` holds x_T … x_0 for checkpointing.
 */
import type { DeviceTensor, HostTensor, OnnxModel, OnnxValue } from "@/server/onnx/types";
import type { DiffusionModel } from "./folder";
import type { ImageTensor } from "./image";
import { ddimPlan, ddimStep } from "./scheduler/ddim";

/** Text-encoder hidden states for CFG: [2B, T, W], the unconditional rows first. */
export interface Conditioning {
  readonly batch: number;
  readonly tokens: number;
  readonly width: number;
  readonly hidden: Float32Array;
}

export function latentSize(model: Pick<DiffusionModel, "latent">): number {
  return model.latent.channels * model.latent.height * model.latent.width;
}

/** Runs `model` over a batch, in chunks when the export fixes its batch size. */
async function runBatched(
  model: OnnxModel,
  fixedBatch: number | null,
  batch: number,
  makeFeeds: (start: number, count: number) => Record<string, HostTensor>,
  outputName: string,
): Promise<Float32Array[]> {
  const chunk = fixedBatch ?? batch;
  if (batch % chunk !== 0) {
    throw new RangeError(
      `Model "${model.name}" takes batches of exactly ${chunk}; cannot run a batch of ${batch}`,
    );
  }
  const parts: Float32Array[] = [];
  for (let start = 0; start < batch; start += chunk) {
    const outputs = await model.run(makeFeeds(start, chunk));
    const output = outputs[outputName];
    if (output?.type !== "float32") {
      throw new Error(`Model "${model.name}" returned no float32 output "${outputName}"`);
    }
    parts.push(output.data);
  }
  return parts;
}

function concat(parts: readonly Float32Array[]): Float32Array {
  if (parts.length === 1 && parts[0]) return parts[0];
  const out = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Encodes B prompts plus the unconditional branch (the negative prompt, "" by default, as in diffusers)
 * into [2B, T, W].
 */
export async function encodePrompts(
  model: DiffusionModel,
  prompts: readonly string[],
  negativePrompt = "",
): Promise<Conditioning> {
  if (prompts.length === 0) throw new RangeError("encodePrompts needs at least one prompt");
  const batch = prompts.length;
  const tokens = model.tokens;
  const rows = [...prompts.map(() => negativePrompt), ...prompts].map((text) => model.tokenizer.encode(text));
  const parts = await runBatched(
    model.textEncoder,
    model.fixedBatch.textEncoder,
    2 * batch,
    (start, count) => {
      const ids = rows.slice(start, start + count).flat();
      const tensor: HostTensor =
        model.io.inputIds.type === "int32"
          ? { type: "int32", data: Int32Array.from(ids), dims: [count, tokens] }
          : { type: "int64", data: BigInt64Array.from(ids, (id) => BigInt(id)), dims: [count, tokens] };
      return { [model.io.inputIds.name]: tensor };
    },
    model.io.hiddenOutput,
  );
  const hidden = concat(parts);
  const width = hidden.length / (2 * batch * tokens);
  if (!Number.isInteger(width) || width !== model.hiddenWidth) {
    throw new Error(
      `Text encoder of ${model.name} returned ${hidden.length} values for ${2 * batch}×${tokens} tokens; expected width ${model.hiddenWidth}`,
    );
  }
  return { batch, tokens, width, hidden };
}

export interface SampleStepInfo {
  readonly index: number;
  readonly timestep: number;
  /** x_{t−1} just computed (do not modify: it is kept in `latents`). */
  readonly latent: Float32Array;
}

export interface SampleOptions {
  readonly model: DiffusionModel;
  readonly conditioning: Conditioning;
  /** [B, C, h, w] */
  readonly xT: Float32Array;
  /** One [B, C, h, w] tensor per step (first step first); may be null when eta = 0. */
  readonly stepNoises: readonly Float32Array[] | null;
  readonly steps: number;
  readonly eta: number;
  readonly guidanceScale: number;
  /**
   * Add σ_t·z on the last step too (diffusers' convention). Default false: the last step is noise-free, as
   * the DNO authors' sampler (METHOD.md §2 "The last step"); its noise tensor is then not read.
   */
  readonly finalStepNoise?: boolean;
  /** Skip the VAE (the DNO engine decodes itself when it needs the VJP). Default true. */
  readonly decode?: boolean;
  readonly signal?: AbortSignal;
  readonly onStep?: (info: SampleStepInfo) => void;
  /**
   * Makes the CFG UNet call instead of `createUnetCaller` (the DNO chain's store mode runs a forward model
   * that also returns the activations its backward reads, and keeps them per step).
   */
  readonly createUnetCaller?: typeof createUnetCaller;
  /**
   * The conditioning's hidden states already on the device, one tensor per UNet call (`uploadHidden`; the
   * caller keeps and disposes them). Default: `sample` uploads them once for its steps and releases them.
   */
  readonly hidden?: readonly OnnxValue[];
}

export interface SampleResult {
  /** x_T, x_{t1}, …, x_0: steps + 1 latents of [B, C, h, w]. */
  readonly latents: Float32Array[];
  readonly timesteps: readonly number[];
  /** Decoded images, null when `decode` is false. */
  readonly image: ImageTensor | null;
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw signal.reason instanceof Error ? signal.reason : new Error("Sampling was cancelled");
}

/** One UNet call with CFG: ε̂ = ε_u + w·(ε_c − ε_u) into `guided`. Buffers are owned by the caller. */
export interface UnetCaller {
  (latent: Float32Array, timestep: number, guided: Float32Array): Promise<void>;
  /** Releases the bound ONNX Runtime tensors. */
  dispose(): void;
}

/** Rows of the conditioning's hidden states per UNet call (the whole CFG batch unless the export fixes one). */
function hiddenRowsPerCall(model: DiffusionModel, conditioning: Conditioning): number {
  const chunk = model.fixedBatch.unet ?? 2 * conditioning.batch;
  if ((2 * conditioning.batch) % chunk !== 0) {
    throw new RangeError(
      `UNet of ${model.name} takes batches of exactly ${chunk}; CFG needs ${2 * conditioning.batch}`,
    );
  }
  return chunk;
}

/**
 * Copies the conditioning's hidden states to the device once, one tensor per UNet call: every DDIM step (and
 * the chain's UNet VJP calls) then reads them in place instead of copying the largest UNet input again.
 */
export async function uploadHidden(
  model: DiffusionModel,
  conditioning: Conditioning,
  chunk = hiddenRowsPerCall(model, conditioning),
): Promise<DeviceTensor[]> {
  const row = conditioning.tokens * conditioning.width;
  const tensors: DeviceTensor[] = [];
  try {
    for (let start = 0; start < 2 * conditioning.batch; start += chunk) {
      tensors.push(
        await model.unet.upload("encoder_hidden_states", {
          type: "float32",
          data: conditioning.hidden.subarray(start * row, (start + chunk) * row),
          dims: [chunk, conditioning.tokens, conditioning.width],
        }),
      );
    }
    return tensors;
  } catch (error) {
    for (const tensor of tensors) tensor.dispose();
    throw error;
  }
}

/**
 * Prepares the reusable buffers of the CFG UNet call for a conditioning and guidance scale. `hidden`: the
 * conditioning's hidden states on the device, one per call (`uploadHidden`), instead of host views.
 */
export function createUnetCaller(
  model: DiffusionModel,
  conditioning: Conditioning,
  guidanceScale: number,
  hidden?: readonly OnnxValue[],
): UnetCaller {
  const batch = conditioning.batch;
  const size = latentSize(model);
  const { channels, height, width } = model.latent;
  const fixed = model.fixedBatch.unet;
  const chunk = fixed ?? 2 * batch;
  if ((2 * batch) % chunk !== 0) {
    throw new RangeError(`UNet of ${model.name} takes batches of exactly ${chunk}; CFG needs ${2 * batch}`);
  }
  const rowsPerCall = chunk;
  const calls = (2 * batch) / chunk;
  const hiddenRow = conditioning.tokens * conditioning.width;
  const sampleInput = new Float32Array(2 * batch * size);
  const epsilonOutput = new Float32Array(2 * batch * size);
  const timestepLength =
    model.io.timestep.rank === 0
      ? 1
      : model.unet.inputs.find((i) => i.name === "timestep")?.shape[0] === 1
        ? 1
        : rowsPerCall;
  const timestepDims = model.io.timestep.rank === 0 ? [] : [timestepLength];
  const timestepTensor: HostTensor =
    model.io.timestep.type === "int64"
      ? { type: "int64", data: new BigInt64Array(timestepLength), dims: timestepDims }
      : model.io.timestep.type === "int32"
        ? { type: "int32", data: new Int32Array(timestepLength), dims: timestepDims }
        : { type: "float32", data: new Float32Array(timestepLength), dims: timestepDims };
  // Views per call: the feeds never change object, only their contents.
  const perCall = Array.from({ length: calls }, (_, call) => {
    const start = call * rowsPerCall;
    return {
      feeds: {
        sample: {
          type: "float32",
          data: sampleInput.subarray(start * size, (start + rowsPerCall) * size),
          dims: [rowsPerCall, channels, height, width],
        },
        timestep: timestepTensor,
        encoder_hidden_states: hidden?.[call] ?? {
          type: "float32",
          data: conditioning.hidden.subarray(start * hiddenRow, (start + rowsPerCall) * hiddenRow),
          dims: [rowsPerCall, conditioning.tokens, conditioning.width],
        },
      } satisfies Record<string, OnnxValue>,
      outputs: {
        [model.io.unetOutput]: {
          type: "float32",
          data: epsilonOutput.subarray(start * size, (start + rowsPerCall) * size),
          dims: [rowsPerCall, channels, height, width],
        } satisfies HostTensor,
      },
    };
  });
  const bound = perCall.map((call) => model.unet.bind(call.feeds, call.outputs));
  const half = batch * size;
  const call = async (latent: Float32Array, timestep: number, guided: Float32Array): Promise<void> => {
    sampleInput.set(latent, 0);
    sampleInput.set(latent, half);
    if (timestepTensor.type === "int64") timestepTensor.data.fill(BigInt(timestep));
    else timestepTensor.data.fill(timestep);
    for (const run of bound) await run.run();
    for (let i = 0; i < half; i++) {
      const uncond = epsilonOutput[i]!;
      guided[i] = uncond + guidanceScale * (epsilonOutput[half + i]! - uncond);
    }
  };
  return Object.assign(call, {
    dispose: () => {
      for (const run of bound) run.dispose();
    },
  });
}

/** One decoder call: latents [rows, C, h, w] (already unscaled) → its outputs by name. */
export type DecoderCall = (latent: HostTensor) => Promise<Record<string, HostTensor>>;

/**
 * Decodes latents x_0 [B, C, h, w] (unscaled by the VAE factor first) to images in [−1, 1]. `call` runs the
 * decoder on one chunk (default: the decoder's own session; the DNO forward passes its segments').
 */
export async function decodeLatents(
  model: DiffusionModel,
  latents: Float32Array,
  batch: number,
  call: DecoderCall = (latent) => model.vaeDecoder.run({ [model.io.vaeInput]: latent }),
): Promise<ImageTensor> {
  const size = latentSize(model);
  const { channels, height, width } = model.latent;
  const scaled = new Float32Array(latents.length);
  const inverse = 1 / model.vaeScalingFactor;
  for (let i = 0; i < latents.length; i++) scaled[i] = latents[i]! * inverse;
  const parts: Float32Array[] = [];
  let imageHeight = 0;
  let imageWidth = 0;
  const chunk = model.fixedBatch.vae ?? batch;
  if (batch % chunk !== 0) {
    throw new RangeError(
      `VAE decoder of ${model.name} takes batches of exactly ${chunk}; cannot decode ${batch}`,
    );
  }
  for (let start = 0; start < batch; start += chunk) {
    const outputs = await call({
      type: "float32",
      data: scaled.subarray(start * size, (start + chunk) * size),
      dims: [chunk, channels, height, width],
    });
    const output = outputs[model.io.vaeOutput];
    if (output?.type !== "float32" || output.dims.length !== 4 || output.dims[1] !== 3) {
      throw new Error(
        `VAE decoder of ${model.name} did not return a float32 [b, 3, H, W] output "${model.io.vaeOutput}"`,
      );
    }
    imageHeight = output.dims[2] ?? 0;
    imageWidth = output.dims[3] ?? 0;
    parts.push(output.data);
  }
  return { batch, channels: 3, height: imageHeight, width: imageWidth, data: concat(parts) };
}

export async function sample(options: SampleOptions): Promise<SampleResult> {
  const { model, conditioning, xT, stepNoises, steps, eta, guidanceScale } = options;
  const size = latentSize(model);
  const batch = conditioning.batch;
  if (xT.length !== batch * size) {
    throw new RangeError(
      `x_T has ${xT.length} values; ${model.name} needs batch ${batch} × ${model.latent.channels}×${model.latent.height}×${model.latent.width} = ${batch * size}`,
    );
  }
  if (!Number.isFinite(guidanceScale))
    throw new RangeError(`guidanceScale must be finite, got ${guidanceScale}`);
  const plan = ddimPlan(model.scheduler, steps, eta, { finalStepNoise: options.finalStepNoise });
  if (eta > 0) {
    if (!stepNoises || stepNoises.length < steps) {
      throw new RangeError(
        `eta = ${eta} needs ${steps} per-step noise tensors, got ${stepNoises?.length ?? 0}`,
      );
    }
    stepNoises.forEach((noise, index) => {
      if (index < steps && noise.length !== batch * size) {
        throw new RangeError(`Per-step noise ${index} has ${noise.length} values, expected ${batch * size}`);
      }
    });
  }
  // The hidden states are the same for every step: on the device once, not copied per call.
  const ownHidden = options.hidden ? null : await uploadHidden(model, conditioning);
  const hidden = options.hidden ?? ownHidden ?? undefined;
  const callUnet = (options.createUnetCaller ?? createUnetCaller)(model, conditioning, guidanceScale, hidden);
  try {
    const guided = new Float32Array(batch * size);
    const latents: Float32Array[] = [Float32Array.from(xT)];
    let current = latents[0]!;
    for (let index = 0; index < plan.length; index++) {
      checkAborted(options.signal);
      const step = plan[index]!;
      await callUnet(current, step.timestep, guided);
      const next = ddimStep(step, current, guided, eta > 0 ? (stepNoises?.[index] ?? null) : null);
      latents.push(next);
      current = next;
      options.onStep?.({ index, timestep: step.timestep, latent: next });
    }
    checkAborted(options.signal);
    const image = options.decode === false ? null : await decodeLatents(model, current, batch);
    return { latents, timesteps: plan.map((step) => step.timestep), image };
  } finally {
    callUnet.dispose();
    for (const tensor of ownHidden ?? []) tensor.dispose();
  }
}
