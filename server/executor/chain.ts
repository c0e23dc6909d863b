/**
 * The differentiable chain of one Sampler: noise (x_T, z_T … z_1) → DDIM with classifier-free guidance →
 * VAE decoder → image, with its exact reverse pass (METHOD.md §4).
 *
 * Forward keeps x_T … x_0 (the checkpoints). Backward, with ḡ = ∂objective/∂x_{t−1} flowing in:
 *   x_{t−1} = a·x_t + b·ε̂(x_t) + σ·z_t,   ε̂ = (1−w)·ε_u(x_t) + w·ε_c(x_t)
 *   ∂/∂z_t  = σ·ḡ            (σ = 0 on a noise-free last step: its z gets exactly zero gradient)
 *   ∂/∂x_t  = a·ḡ + J_u(x_t)ᵀ((1−w)·b·ḡ) + J_c(x_t)ᵀ(w·b·ḡ)
 * where both UNet branches are pulled back by the UNet's VJP model over the 2B rows [uncond…, cond…] of the
 * forward pass — in one call for small UNets, one row per call for large ones, whose activations per call
 * grow with the rows (vjp-rows.ts); the VJP model recomputes the forward inside, so only x_t is stored per
 * step. The decoder's VJP includes the latent scaling: image = D(x_0 / s).
 * VJP models come from the autodiff builder through its disk cache and run as ordinary sessions of
 * server/onnx (cached by file hash); those of float16 exports are loss-scaled per call (float16-loss-scale.ts).
 *
 * Memory modes (METHOD.md §4). "recompute" (checkpointing) is the above. "store": the forward of a DNO
 * iteration runs the UNet's split forward model (server/autodiff/split.ts), which also returns the
 * activations its backward reads, keeps them per step, and the backward runs the split backward model per
 * step instead of the whole VJP — no forward recomputed, at the cost of T steps of activations in memory.
 * Plain generations (and the estimators' perturbed forwards) keep using the plain forward model.
 */
import { getVjpModelForFile, type VjpCacheOptions } from "@/server/autodiff/cache";
import { type CachedSplitVjp, getSplitVjpModelForFile } from "@/server/autodiff/split-cache";
import { cotangentInputName, gradientOutputName } from "@/server/autodiff/vjp";
import { DataType } from "@/server/autodiff/ir";
import type { DiffusionModel } from "@/server/models/folder";
import type { ImageTensor } from "@/server/models/image";
import {
  type Conditioning,
  decodeLatents,
  latentSize,
  sample,
  type UnetCaller,
  uploadHidden,
} from "@/server/models/sampler";
import { type DdimCoefficients, ddimPlan } from "@/server/models/scheduler/ddim";
import type {
  DeviceTensor,
  HostTensor,
  LoadOptions,
  OnnxModel,
  OnnxRuntime,
  OnnxValue,
} from "@/server/onnx/types";
import {
  DECODER_SEGMENT_BYTES,
  type LoadedSegment,
  loadDecoderSegments,
  type SegmentCuts,
  segmentedBackward,
  segmentedDecode,
} from "./decoder-segments";
import { ExecutorError, throwIfAborted } from "./errors";
import { withFloat16LossScaling } from "./float16-loss-scale";
import { unetVjpRowsPerCall } from "./vjp-rows";

export interface SamplerSettings {
  readonly steps: number;
  readonly eta: number;
  readonly guidanceScale: number;
  /**
   * σ_t·z on the last step too (diffusers). Default false: the last step is noise-free, so ∂/∂z_1 is
   * exactly 0 (z_1 stays in the optimized noise set and PR still sees it; METHOD.md §2).
   */
  readonly finalStepNoise?: boolean;
}

/** How the backward pass gets the UNet's activations: recomputed inside the VJP, or kept from the forward. */
export type BackwardMemoryMode = "recompute" | "store";

export interface ChainOptions {
  /** Default "recompute". */
  readonly memoryMode?: BackwardMemoryMode;
  /**
   * Rows per UNet VJP call in recompute mode; default one row for large UNets, all rows otherwise
   * (vjp-rows.ts). A fixed-batch export always takes its batch.
   */
  readonly vjpRowsPerCall?: number;
  /**
   * Bytes of forward intermediates one decoder VJP call may hold before the decoder's backward is run in
   * segments (decoder-segments.ts); default DECODER_SEGMENT_BYTES.
   */
  readonly decoderSegmentBytes?: number;
}

/** The decoder's backward for one call size: its whole VJP, or its segments run as a checkpointed chain. */
type DecoderBackward = { readonly whole: OnnxModel } | { readonly segments: readonly LoadedSegment[] };

/** What a store-mode forward kept for its backward. */
interface StoredForward {
  /** The forward's checkpoints: the backward uses the stored activations only for exactly these. */
  readonly latents: readonly Float32Array[];
  readonly conditioning: Conditioning;
  /**
   * Per step, per UNet call: the residuals (on the device where the provider keeps tensors there); a step's
   * entry is released once its backward has run.
   */
  readonly steps: (Record<string, OnnxValue>[] | null)[];
  bytes: number;
}

export interface ChainForward {
  /** x_T … x_0, each [B, C, h, w]. */
  readonly latents: readonly Float32Array[];
  readonly image: ImageTensor;
}

export interface ChainGradient {
  /** ∂objective/∂x_T, [B, C, h, w]. */
  readonly xT: Float32Array;
  /** ∂objective/∂z_t per step (first step first), or null when not asked for. */
  readonly stepNoises: Float32Array[] | null;
}

/** Bytes a kept value holds (host or device memory). */
function valueBytes(value: OnnxValue): number {
  return value.type === "device" ? value.byteLength : value.data.byteLength;
}

/** Frees the device tensors among one step's kept residuals (host ones go with the garbage collector). */
function releaseResiduals(step: readonly Record<string, OnnxValue>[] | null): void {
  for (const call of step ?? [])
    for (const value of Object.values(call)) if (value.type === "device") value.dispose();
}

function outputOf(model: OnnxModel, outputs: Record<string, HostTensor>, name: string): Float32Array {
  const output = outputs[name];
  if (output?.type !== "float32") {
    throw new ExecutorError(
      "MODEL_UNAVAILABLE",
      `Model "${model.name}" returned no float32 output "${name}".`,
    );
  }
  return output.data;
}

/** The timestep feed the UNet declares (int64/int32/float, scalar or [rows]). */
function timestepTensor(model: DiffusionModel, rows: number): HostTensor {
  const declared = model.unet.inputs.find((input) => input.name === "timestep");
  const length = model.io.timestep.rank === 0 ? 1 : declared?.shape[0] === 1 ? 1 : rows;
  const dims = model.io.timestep.rank === 0 ? [] : [length];
  if (model.io.timestep.type === "int64") return { type: "int64", data: new BigInt64Array(length), dims };
  if (model.io.timestep.type === "int32") return { type: "int32", data: new Int32Array(length), dims };
  return { type: "float32", data: new Float32Array(length), dims };
}

function setTimestep(tensor: HostTensor, timestep: number): void {
  if (tensor.type === "int64") tensor.data.fill(BigInt(timestep));
  else tensor.data.fill(timestep);
}

export class DiffusionChain {
  private unetVjp: OnnxModel | null = null;
  private unetSplit: { forward: OnnxModel; backward: OnnxModel; entry: CachedSplitVjp } | null = null;
  /** The decoder's backward per call size (rows): its whole VJP, or its segments'. */
  private readonly decoderBackwards = new Map<number, DecoderBackward>();
  private readonly decoderSegmentBytes: number;
  private stored: StoredForward | null = null;
  /** The cuts of the last DNO forward's decode through the decoder's segments (one per decoder call), for x0. */
  private decodedCuts: { readonly x0: Float32Array; readonly cuts: readonly SegmentCuts[] } | null = null;
  /**
   * Store mode, host-kept residuals: per step, per UNet call, the buffers the last store-mode forward wrote its
   * residuals into, handed to the next one as ONNX Runtime's preallocated outputs (`key`: the calls' shape).
   * Fresh memory for every call's residuals made the later calls of a forward slow (first touch of gigabytes
   * of new pages): full SD-1.5 at 256 px, 2 rows, 10 split-forward calls took 21.7–21.9 s writing to fresh
   * memory and 16.7–16.9 s writing to reused buffers (METHOD.md §4). They stay between iterations: the peak
   * holds them anyway (the decoder's VJP and the first UNet backward call run while all of them are kept).
   */
  private residualBuffers: { key: string; steps: Record<string, HostTensor>[][] } | null = null;
  /**
   * The hidden states on the device per conditioning (its host array) and rows per call. Weak: a run keeps a
   * few conditionings (the batch's, single images' for the estimators), whose device copies go with them.
   */
  private readonly deviceHidden = new WeakMap<Float32Array, Map<number, DeviceTensor[]>>();
  readonly memoryMode: BackwardMemoryMode;
  private readonly vjpRowsPerCall: number | undefined;

  constructor(
    readonly model: DiffusionModel,
    private readonly onnx: OnnxRuntime,
    private readonly vjpCache: VjpCacheOptions = {},
    options: ChainOptions = {},
  ) {
    this.memoryMode = options.memoryMode ?? "recompute";
    this.vjpRowsPerCall = options.vjpRowsPerCall;
    this.decoderSegmentBytes = options.decoderSegmentBytes ?? DECODER_SEGMENT_BYTES;
  }

  /** Bytes of activations the last store-mode forward kept that no backward has released yet. */
  get storedBytes(): number {
    return this.stored?.bytes ?? 0;
  }

  /** Bytes of host buffers kept for the next store-mode forward's residuals (reused, not reallocated). */
  get residualBufferBytes(): number {
    let total = 0;
    for (const step of this.residualBuffers?.steps ?? [])
      for (const call of step) for (const tensor of Object.values(call)) total += valueBytes(tensor);
    return total;
  }

  /**
   * Forgets the activations of the last store-mode forward, freeing those kept on the device at once (the next
   * forward or its backward frees them anyway).
   */
  releaseStored(): void {
    for (const step of this.stored?.steps ?? []) releaseResiduals(step);
    this.stored = null;
  }

  /** Forgets everything kept for later calls (the stored activations and the buffers for the next ones): a run's end. */
  release(): void {
    this.releaseStored();
    this.residualBuffers = null;
    this.decodedCuts = null;
  }

  /**
   * The conditioning's hidden states on the device, one tensor per UNet call of `chunk` rows: uploaded once per
   * conditioning (a DNO run encodes its prompt once) and read in place by every forward UNet call and backward
   * VJP call of every iteration. Undefined when `consumer` stores that input in another element type (then
   * its calls take host views).
   */
  private async hiddenOnDevice(
    conditioning: Conditioning,
    chunk: number,
    consumer: OnnxModel,
  ): Promise<readonly OnnxValue[] | undefined> {
    let byChunk = this.deviceHidden.get(conditioning.hidden);
    if (!byChunk) {
      byChunk = new Map();
      this.deviceHidden.set(conditioning.hidden, byChunk);
    }
    let tensors = byChunk.get(chunk);
    if (!tensors) {
      tensors = await uploadHidden(this.model, conditioning, chunk);
      byChunk.set(chunk, tensors);
    }
    const spec = consumer.inputs.find((input) => input.name === "encoder_hidden_states");
    const stored = spec?.castFrom ?? spec?.type;
    return tensors.every((tensor) => tensor.elementType === stored) ? tensors : undefined;
  }

  get latentSize(): number {
    return latentSize(this.model);
  }

  private differentiationError(part: string, error: unknown): ExecutorError {
    const detail = error instanceof Error ? error.message : String(error);
    return new ExecutorError(
      "MODEL_UNAVAILABLE",
      `Cannot differentiate ${part} of model “${this.model.name}”: ${detail}`,
      { cause: error },
    );
  }

  private async loadVjp(
    file: string,
    wrt: string,
    of: string,
    name: string,
    load: Pick<LoadOptions, "memoryPattern"> = {},
  ): Promise<OnnxModel> {
    try {
      const cached = await getVjpModelForFile(file, { wrt: [wrt], of }, this.vjpCache);
      // A float16 export's VJP computes in float16: loss-scaled, or small cotangents flush to zero.
      return withFloat16LossScaling(
        await this.onnx.load(cached.file, { name, ...load }),
        cotangentInputName(of),
        [gradientOutputName(wrt)],
      );
    } catch (error) {
      throw this.differentiationError(name.replace(" VJP", ""), error);
    }
  }

  /** The UNet's whole VJP model (recompute mode, and store mode's fallback for single images). */
  private async unetVjpModel(): Promise<OnnxModel> {
    this.unetVjp ??= await this.loadVjp(this.model.unet.path, "sample", this.model.io.unetOutput, "unet VJP");
    return this.unetVjp;
  }

  /** The UNet's split forward (a) and backward (b) models (store mode). */
  private async unetSplitModels(): Promise<NonNullable<DiffusionChain["unetSplit"]>> {
    if (this.unetSplit) return this.unetSplit;
    try {
      const entry = await getSplitVjpModelForFile(
        this.model.unet.path,
        { wrt: ["sample"], of: this.model.io.unetOutput },
        this.vjpCache,
      );
      // The residuals stay on the device until the backward reads them (ε̂ comes to the host for the DDIM step).
      // On the CPU, host and device are the same memory: residuals come back as host arrays, which the next
      // forward reuses as preallocated outputs (`residualBuffers`); float16 ones stay ONNX Runtime's tensors
      // (as host arrays they would be widened to float32 and narrowed again for the backward).
      const onCpu = this.onnx.executionProvider === "cpu";
      const forward = await this.onnx.load(entry.forwardFile, {
        name: "unet forward (store mode)",
        deviceOutputs: entry.residuals
          .filter((residual) => !onCpu || residual.elemType === DataType.FLOAT16)
          .map((residual) => residual.name)
          .filter((name) => name !== this.model.io.unetOutput),
      });
      const backward = withFloat16LossScaling(
        await this.onnx.load(entry.backwardFile, { name: "unet backward (store mode)" }),
        cotangentInputName(this.model.io.unetOutput),
        [gradientOutputName("sample")],
      );
      this.unetSplit = { forward, backward, entry };
      return this.unetSplit;
    } catch (error) {
      throw this.differentiationError("unet", error);
    }
  }

  /**
   * Builds (or reads from the cache) and loads the UNet's backward models (per memory mode) and the VAE
   * decoder's backward for `batch` images: its whole VJP, or its segments' forward and VJP models where one
   * VJP call would hold more than `decoderSegmentBytes` of intermediates (decoder-segments.ts).
   */
  async prepareBackward(batch = 1): Promise<void> {
    if (this.memoryMode === "store") await this.unetSplitModels();
    else await this.unetVjpModel();
    await this.decoderBackwardModels(this.model.fixedBatch.vae ?? batch);
  }

  /** The decoder's segments for a backward over `batch` images, where it is segmented and already loaded. */
  private backwardSegments(batch: number): readonly LoadedSegment[] | null {
    const backward = this.decoderBackwards.get(this.model.fixedBatch.vae ?? batch);
    return backward && "segments" in backward ? backward.segments : null;
  }

  /** The decoder's backward models for calls of `rows` images (cached per row count). */
  private async decoderBackwardModels(rows: number): Promise<DecoderBackward> {
    const known = this.decoderBackwards.get(rows);
    if (known) return known;
    let segments: Awaited<ReturnType<typeof loadDecoderSegments>>;
    try {
      segments = await loadDecoderSegments(this.model, this.onnx, rows, this.decoderSegmentBytes, {
        cache: this.vjpCache,
        loadVjp: (file, wrt, of, name) => this.loadVjp(file, wrt, of, name, { memoryPattern: false }),
      });
    } catch (error) {
      throw this.differentiationError("vae_decoder", error);
    }
    const backward: DecoderBackward = segments
      ? { segments }
      : {
          whole: await this.loadVjp(
            this.model.vaeDecoder.path,
            this.model.io.vaeInput,
            this.model.io.vaeOutput,
            // With ONNX Runtime's memory pattern (the default): ~20 % faster per call, for up to ~0.5 GB more
            // at the sizes a whole call is used for (decoder-segments.ts).
            "vae_decoder VJP",
          ),
        };
    this.decoderBackwards.set(rows, backward);
    return backward;
  }

  plan(settings: SamplerSettings): DdimCoefficients[] {
    return ddimPlan(this.model.scheduler, settings.steps, settings.eta, {
      finalStepNoise: settings.finalStepNoise,
    });
  }

  /**
   * Samples and decodes. With `keepActivations` in store mode, the UNet calls run the split forward model and
   * their activations are kept for the next `samplerBackward` over these latents (one forward's at a time).
   */
  async forward(
    conditioning: Conditioning,
    xT: Float32Array,
    stepNoises: readonly Float32Array[] | null,
    settings: SamplerSettings,
    signal?: AbortSignal,
    options: { keepActivations?: boolean } = {},
  ): Promise<ChainForward> {
    const keep = options.keepActivations === true && this.memoryMode === "store";
    // The previous forward's activations go before this one's are made.
    if (keep) this.releaseStored();
    const steps: Record<string, OnnxValue>[][] = [];
    const bytes = { total: 0 };
    const split = keep ? await this.unetSplitModels() : null;
    const hidden = await this.hiddenOnDevice(
      conditioning,
      this.unetRows(conditioning).chunk,
      split ? split.forward : this.model.unet,
    );
    const result = await sample({
      model: this.model,
      conditioning,
      xT,
      stepNoises: settings.eta > 0 ? stepNoises : null,
      steps: settings.steps,
      eta: settings.eta,
      guidanceScale: settings.guidanceScale,
      finalStepNoise: settings.finalStepNoise,
      decode: false,
      signal,
      ...(hidden ? { hidden } : {}),
      ...(split
        ? {
            createUnetCaller: (
              _model: DiffusionModel,
              c: Conditioning,
              w: number,
              deviceHidden?: readonly OnnxValue[],
            ) => this.storingUnetCaller(split.forward, c, w, steps, bytes, deviceHidden),
          }
        : {}),
    });
    if (keep) this.stored = { latents: result.latents, conditioning, steps, bytes: bytes.total };
    const x0 = result.latents[result.latents.length - 1]!;
    this.decodedCuts = null;
    // Decoding through the decoder's segments keeps their cuts for the next decoderBackward of x0.
    const segments = options.keepActivations === true ? this.backwardSegments(conditioning.batch) : null;
    const cuts: SegmentCuts[] = [];
    const image = await decodeLatents(
      this.model,
      x0,
      conditioning.batch,
      segments
        ? async (latent) => {
            const decoded = await segmentedDecode(segments, this.model.io.vaeInput, latent);
            cuts.push(decoded.cuts);
            return decoded.outputs;
          }
        : undefined,
    );
    if (segments) this.decodedCuts = { x0, cuts };
    return { latents: result.latents, image };
  }

  /** The CFG UNet call of store mode: (a) per call, its residuals appended to `steps` (one entry per step). */
  private storingUnetCaller(
    forward: OnnxModel,
    conditioning: Conditioning,
    guidanceScale: number,
    steps: Record<string, OnnxValue>[][],
    bytes: { total: number },
    hidden?: readonly OnnxValue[],
  ): UnetCaller {
    const { rows, chunk, half } = this.unetRows(conditioning);
    const size = this.latentSize;
    const sampleInput = new Float32Array(rows * size);
    const timestep = timestepTensor(this.model, chunk);
    const outputName = this.model.io.unetOutput;
    const calls = this.unetFeeds(conditioning, sampleInput, timestep, chunk, hidden);
    const buffers = this.residualBuffersFor(`${rows}/${chunk}/${size}/${conditioning.tokens}`);
    const call = async (latent: Float32Array, t: number, guided: Float32Array): Promise<void> => {
      sampleInput.set(latent, 0);
      sampleInput.set(latent, half);
      setTimestep(timestep, t);
      const kept: Record<string, OnnxValue>[] = [];
      const epsilon = new Float32Array(rows * size);
      const stepBuffers = buffers[steps.length] ?? [];
      buffers[steps.length] = stepBuffers;
      for (const [index, feeds] of calls.entries()) {
        const reused = stepBuffers[index];
        const { host, device } = await forward.runKeeping(feeds, reused ? { outputs: reused } : undefined);
        epsilon.set(outputOf(forward, host, outputName), index * chunk * size);
        const residuals: Record<string, OnnxValue> = { ...device };
        const hostResiduals: Record<string, HostTensor> = {};
        for (const [name, tensor] of Object.entries(host)) {
          if (name === outputName && !this.unetSplit?.entry.residuals.some((r) => r.name === name)) continue;
          residuals[name] = tensor;
          hostResiduals[name] = tensor;
        }
        if (!reused) stepBuffers[index] = hostResiduals;
        for (const tensor of Object.values(residuals)) bytes.total += valueBytes(tensor);
        kept.push(residuals);
      }
      steps.push(kept);
      for (let i = 0; i < half; i++) {
        const uncond = epsilon[i]!;
        guided[i] = uncond + guidanceScale * (epsilon[half + i]! - uncond);
      }
    };
    return Object.assign(call, { dispose: () => {} });
  }

  /** The reusable residual buffers for calls of shape `key` (those of another shape are dropped). */
  private residualBuffersFor(key: string): Record<string, HostTensor>[][] {
    if (this.residualBuffers?.key !== key) this.residualBuffers = { key, steps: [] };
    return this.residualBuffers.steps;
  }

  /** Rows of one CFG call (2B), the UNet's call size, and one CFG half's values. */
  private unetRows(conditioning: Conditioning): { rows: number; chunk: number; half: number } {
    const rows = 2 * conditioning.batch;
    const chunk = this.model.fixedBatch.unet ?? rows;
    if (rows % chunk !== 0) {
      throw new ExecutorError(
        "MODEL_UNAVAILABLE",
        `The UNet of “${this.model.name}” takes batches of exactly ${chunk}; guidance needs ${rows}.`,
      );
    }
    return { rows, chunk, half: conditioning.batch * this.latentSize };
  }

  /** The UNet's forward feeds per call of `chunk` rows (default the call size), as views of `sampleInput` and the conditioning. */
  private unetFeeds(
    conditioning: Conditioning,
    sampleInput: Float32Array,
    timestep: HostTensor,
    chunk = this.unetRows(conditioning).chunk,
    hidden?: readonly OnnxValue[],
  ): Record<string, OnnxValue>[] {
    const { rows } = this.unetRows(conditioning);
    const size = this.latentSize;
    const { channels, height, width } = this.model.latent;
    const hiddenRow = conditioning.tokens * conditioning.width;
    return Array.from({ length: rows / chunk }, (_, call) => {
      const start = call * chunk;
      return {
        sample: {
          type: "float32",
          data: sampleInput.subarray(start * size, (start + chunk) * size),
          dims: [chunk, channels, height, width],
        },
        timestep,
        // On the device when given (hiddenOnDevice): not copied again per call.
        encoder_hidden_states: hidden?.[call] ?? {
          type: "float32",
          data: conditioning.hidden.subarray(start * hiddenRow, (start + chunk) * hiddenRow),
          dims: [chunk, conditioning.tokens, conditioning.width],
        },
      };
    });
  }

  /** Decodes several latent batches at once (the estimators' perturbed points). */
  decode(x0: Float32Array, batch: number): Promise<ImageTensor> {
    return decodeLatents(this.model, x0, batch);
  }

  /** ∂objective/∂x_0 from ∂objective/∂image through the VAE decoder (scaling included). */
  async decoderBackward(
    x0: Float32Array,
    batch: number,
    imageCotangent: Float32Array,
  ): Promise<Float32Array> {
    const chunk = this.model.fixedBatch.vae ?? batch;
    await this.prepareBackward(chunk);
    const backward = await this.decoderBackwardModels(chunk);
    // The cuts of the forward that decoded these latents (the same array), used once.
    const kept = this.decodedCuts?.x0 === x0 ? this.decodedCuts.cuts : null;
    this.decodedCuts = null;
    const { channels, height, width } = this.model.latent;
    const size = this.latentSize;
    const inverse = 1 / this.model.vaeScalingFactor;
    const scaled = new Float32Array(x0.length);
    for (let i = 0; i < x0.length; i++) scaled[i] = x0[i]! * inverse;
    const imagePerRow = imageCotangent.length / batch;
    const imageDims = (rows: number): number[] => {
      const spatial = imagePerRow / 3;
      const side = Math.round(Math.sqrt(spatial));
      // Decoders output square images in every layout we load; a non-square one has its dims declared.
      const declared = this.model.vaeDecoder.outputs.find((o) => o.name === this.model.io.vaeOutput)?.shape;
      const h = typeof declared?.[2] === "number" ? declared[2] : side;
      const w = typeof declared?.[3] === "number" ? declared[3] : spatial / h;
      return [rows, 3, h, w];
    };
    const gradient = new Float32Array(x0.length);
    for (let start = 0; start < batch; start += chunk) {
      const latent: HostTensor = {
        type: "float32",
        data: scaled.subarray(start * size, (start + chunk) * size),
        dims: [chunk, channels, height, width],
      };
      const cotangent: HostTensor = {
        type: "float32",
        data: imageCotangent.subarray(start * imagePerRow, (start + chunk) * imagePerRow),
        dims: imageDims(chunk),
      };
      const rowsGradient =
        "segments" in backward
          ? await segmentedBackward(
              backward.segments,
              this.model.io.vaeInput,
              latent,
              cotangent,
              kept?.[start / chunk],
            )
          : outputOf(
              backward.whole,
              await backward.whole.run({
                [this.model.io.vaeInput]: latent,
                [cotangentInputName(this.model.io.vaeOutput)]: cotangent,
              }),
              gradientOutputName(this.model.io.vaeInput),
            );
      gradient.set(rowsGradient, start * size);
    }
    for (let i = 0; i < gradient.length; i++) gradient[i] = gradient[i]! * inverse;
    return gradient;
  }

  /**
   * The reverse pass through the DDIM chain: from ∂objective/∂x_0 to ∂objective/∂x_T and (when asked)
   * ∂objective/∂z_t of every step. `latents` are the forward's checkpoints x_T … x_0. When they are those of
   * the last store-mode forward (same array), its kept activations feed the split backward model, each step's
   * released once used; otherwise each step runs the whole VJP model (recomputing the forward).
   */
  async samplerBackward(
    conditioning: Conditioning,
    latents: readonly Float32Array[],
    x0Gradient: Float32Array,
    settings: SamplerSettings,
    options: { stepNoiseGradients: boolean; signal?: AbortSignal },
  ): Promise<ChainGradient> {
    const plan = this.plan(settings);
    if (latents.length !== plan.length + 1) {
      throw new RangeError(`samplerBackward: ${latents.length} checkpoints for ${plan.length} steps.`);
    }
    const stored =
      this.stored?.latents === latents &&
      this.stored.conditioning === conditioning &&
      this.stored.steps.length === plan.length
        ? this.stored
        : null;
    // Used once: a second backward over the same forward (or a single image of it) recomputes.
    if (stored) this.stored = null;
    else this.releaseStored();
    const split = stored ? await this.unetSplitModels() : null;
    const vjp = split ? split.backward : await this.unetVjpModel();
    const { rows, half } = this.unetRows(conditioning);
    // The split backward reads residuals per forward call; the whole VJP may pull back fewer rows per call
    // (its memory grows with its rows: vjp-rows.ts).
    const chunk = split
      ? this.unetRows(conditioning).chunk
      : unetVjpRowsPerCall(this.model, rows, this.vjpRowsPerCall);
    const size = this.latentSize;
    const { channels, height, width } = this.model.latent;
    const sampleInput = new Float32Array(rows * size);
    const cotangent = new Float32Array(rows * size);
    const gradSample = new Float32Array(rows * size);
    const timestep = timestepTensor(this.model, chunk);
    const cotangentName = cotangentInputName(this.model.io.unetOutput);
    const gradName = gradientOutputName("sample");
    const declared = new Set(vjp.inputs.map((input) => input.name));
    // The same device copy of the hidden states as the forward's (when the calls have its rows).
    const hidden = declared.has("encoder_hidden_states")
      ? await this.hiddenOnDevice(conditioning, chunk, vjp)
      : undefined;
    const calls = this.unetFeeds(conditioning, sampleInput, timestep, chunk, hidden).map(
      (forwardFeeds, call) => {
        const start = call * chunk;
        const feeds: Record<string, OnnxValue> = {
          [cotangentName]: {
            type: "float32",
            data: cotangent.subarray(start * size, (start + chunk) * size),
            dims: [chunk, channels, height, width],
          },
        };
        // The split backward reads only some forward inputs (often none).
        for (const [name, tensor] of Object.entries(forwardFeeds))
          if (declared.has(name)) feeds[name] = tensor;
        return {
          feeds,
          outputs: {
            [gradName]: {
              type: "float32",
              data: gradSample.subarray(start * size, (start + chunk) * size),
              dims: [chunk, channels, height, width],
            } satisfies HostTensor,
          },
        };
      },
    );
    const w = settings.guidanceScale;
    // Two buffers swapped per step: nothing is allocated per step but the step-noise gradients.
    let g = Float32Array.from(x0Gradient);
    let next = new Float32Array(half);
    const stepGradients: Float32Array[] | null = options.stepNoiseGradients ? new Array(plan.length) : null;
    for (let index = plan.length - 1; index >= 0; index--) {
      throwIfAborted(options.signal, `backward, step ${index + 1} of ${plan.length}`);
      const step = plan[index]!;
      if (stepGradients) {
        const gz = new Float32Array(half);
        for (let i = 0; i < half; i++) gz[i] = step.sigma * g[i]!;
        stepGradients[index] = gz;
      }
      const xt = latents[index]!;
      sampleInput.set(xt, 0);
      sampleInput.set(xt, half);
      const uncondScale = (1 - w) * step.epsilonScale;
      const condScale = w * step.epsilonScale;
      for (let i = 0; i < half; i++) {
        cotangent[i] = uncondScale * g[i]!;
        cotangent[half + i] = condScale * g[i]!;
      }
      setTimestep(timestep, step.timestep);
      const residuals = stored?.steps[index];
      if (stored && !residuals)
        throw new RangeError(`samplerBackward: the activations of step ${index + 1} were released.`);
      for (const [k, call] of calls.entries()) {
        const feeds = residuals ? { ...call.feeds, ...residuals[k] } : call.feeds;
        await vjp.run(feeds, { outputs: call.outputs });
      }
      if (stored) {
        for (const kept of stored.steps[index] ?? [])
          for (const tensor of Object.values(kept)) stored.bytes -= valueBytes(tensor);
        releaseResiduals(stored.steps[index] ?? null);
        stored.steps[index] = null;
      }
      for (let i = 0; i < half; i++)
        next[i] = step.latentScale * g[i]! + gradSample[i]! + gradSample[half + i]!;
      [g, next] = [next, g];
    }
    return { xT: g, stepNoises: stepGradients };
  }
}
