/**
 * The differentiable chain of one Sampler: noise (x_T, z_T … z_1) → DDIM with classifier-free guidance →
 * VAE decoder → image, with its exact reverse pass (METHOD.md §4).
 *
 * Forward keeps x_T … x_0 (the checkpoints). Backward, with ḡ = ∂objective/∂x_{t−1} flowing in:
 *   x_{t−1} = a·x_t + b·ε̂(x_t) + σ·z_t,   ε̂ = (1−w)·ε_u(x_t) + w·ε_c(x_t)
 *   ∂/∂z_t  = σ·ḡ            (σ = 0 on a noise-free last step: its z gets exactly zero gradient)
 *   ∂/∂x_t  = a·ḡ + J_u(x_t)ᵀ((1−w)·b·ḡ) + J_c(x_t)ᵀ(w·b·ḡ)
 * where both UNet branches are pulled back in ONE batch-2B call of the UNet's VJP model (rows
 * [uncond…, cond…] as in the forward pass; the VJP model recomputes the forward inside, so only x_t is
 * stored per step). The decoder's VJP includes the latent scaling: image = D(x_0 / s).
 * VJP models come from the autodiff builder through its disk cache and run as ordinary sessions of
 * server/onnx (cached by file hash).
 */
import { getVjpModelForFile, type VjpCacheOptions } from "@/server/autodiff/cache";
import { cotangentInputName, gradientOutputName } from "@/server/autodiff/vjp";
import type { DiffusionModel } from "@/server/models/folder";
import type { ImageTensor } from "@/server/models/image";
import { type Conditioning, decodeLatents, latentSize, sample } from "@/server/models/sampler";
import { type DdimCoefficients, ddimPlan } from "@/server/models/scheduler/ddim";
import type { HostTensor, OnnxModel, OnnxRuntime } from "@/server/onnx/types";
import { ExecutorError, throwIfAborted } from "./errors";

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
  private vaeVjp: OnnxModel | null = null;

  constructor(
    readonly model: DiffusionModel,
    private readonly onnx: OnnxRuntime,
    private readonly vjpCache: VjpCacheOptions = {},
  ) {}

  get latentSize(): number {
    return latentSize(this.model);
  }

  /** Builds (or reads from the cache) and loads the UNet and VAE-decoder VJP models. */
  async prepareBackward(): Promise<void> {
    if (this.unetVjp && this.vaeVjp) return;
    const load = async (file: string, wrt: string, of: string, name: string): Promise<OnnxModel> => {
      try {
        const cached = await getVjpModelForFile(file, { wrt: [wrt], of }, this.vjpCache);
        return await this.onnx.load(cached.file, { name });
      } catch (error) {
        const detail = error instanceof Error ? error.message : String(error);
        throw new ExecutorError(
          "MODEL_UNAVAILABLE",
          `Cannot differentiate ${name.replace(" VJP", "")} of model “${this.model.name}”: ${detail}`,
          { cause: error },
        );
      }
    };
    this.unetVjp ??= await load(this.model.unet.path, "sample", this.model.io.unetOutput, "unet VJP");
    this.vaeVjp ??= await load(
      this.model.vaeDecoder.path,
      this.model.io.vaeInput,
      this.model.io.vaeOutput,
      "vae_decoder VJP",
    );
  }

  plan(settings: SamplerSettings): DdimCoefficients[] {
    return ddimPlan(this.model.scheduler, settings.steps, settings.eta, {
      finalStepNoise: settings.finalStepNoise,
    });
  }

  async forward(
    conditioning: Conditioning,
    xT: Float32Array,
    stepNoises: readonly Float32Array[] | null,
    settings: SamplerSettings,
    signal?: AbortSignal,
  ): Promise<ChainForward> {
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
    });
    const x0 = result.latents[result.latents.length - 1]!;
    const image = await decodeLatents(this.model, x0, conditioning.batch);
    return { latents: result.latents, image };
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
    await this.prepareBackward();
    const vjp = this.vaeVjp!;
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
    const chunk = this.model.fixedBatch.vae ?? batch;
    for (let start = 0; start < batch; start += chunk) {
      const outputs = await vjp.run({
        [this.model.io.vaeInput]: {
          type: "float32",
          data: scaled.subarray(start * size, (start + chunk) * size),
          dims: [chunk, channels, height, width],
        },
        [cotangentInputName(this.model.io.vaeOutput)]: {
          type: "float32",
          data: imageCotangent.subarray(start * imagePerRow, (start + chunk) * imagePerRow),
          dims: imageDims(chunk),
        },
      });
      gradient.set(outputOf(vjp, outputs, gradientOutputName(this.model.io.vaeInput)), start * size);
    }
    for (let i = 0; i < gradient.length; i++) gradient[i] = gradient[i]! * inverse;
    return gradient;
  }

  /**
   * The reverse pass through the DDIM chain: from ∂objective/∂x_0 to ∂objective/∂x_T and (when asked)
   * ∂objective/∂z_t of every step. `latents` are the forward's checkpoints x_T … x_0.
   */
  async samplerBackward(
    conditioning: Conditioning,
    latents: readonly Float32Array[],
    x0Gradient: Float32Array,
    settings: SamplerSettings,
    options: { stepNoiseGradients: boolean; signal?: AbortSignal },
  ): Promise<ChainGradient> {
    await this.prepareBackward();
    const vjp = this.unetVjp!;
    const plan = this.plan(settings);
    if (latents.length !== plan.length + 1) {
      throw new RangeError(`samplerBackward: ${latents.length} checkpoints for ${plan.length} steps.`);
    }
    const batch = conditioning.batch;
    const size = this.latentSize;
    const half = batch * size;
    const rows = 2 * batch;
    const chunk = this.model.fixedBatch.unet ?? rows;
    if (rows % chunk !== 0) {
      throw new ExecutorError(
        "MODEL_UNAVAILABLE",
        `The UNet of “${this.model.name}” takes batches of exactly ${chunk}; guidance needs ${rows}.`,
      );
    }
    const { channels, height, width } = this.model.latent;
    const sampleInput = new Float32Array(rows * size);
    const cotangent = new Float32Array(rows * size);
    const gradSample = new Float32Array(rows * size);
    const timestep = timestepTensor(this.model, chunk);
    const hiddenRow = conditioning.tokens * conditioning.width;
    const cotangentName = cotangentInputName(this.model.io.unetOutput);
    const gradName = gradientOutputName("sample");
    const calls = Array.from({ length: rows / chunk }, (_, call) => {
      const start = call * chunk;
      const rowsOf = (data: Float32Array, perRow: number) =>
        data.subarray(start * perRow, (start + chunk) * perRow);
      return {
        feeds: {
          sample: {
            type: "float32",
            data: rowsOf(sampleInput, size),
            dims: [chunk, channels, height, width],
          },
          timestep,
          encoder_hidden_states: {
            type: "float32",
            data: rowsOf(conditioning.hidden, hiddenRow),
            dims: [chunk, conditioning.tokens, conditioning.width],
          },
          [cotangentName]: {
            type: "float32",
            data: rowsOf(cotangent, size),
            dims: [chunk, channels, height, width],
          },
        } satisfies Record<string, HostTensor>,
        outputs: {
          [gradName]: {
            type: "float32",
            data: rowsOf(gradSample, size),
            dims: [chunk, channels, height, width],
          } satisfies HostTensor,
        },
      };
    });
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
      for (const call of calls) await vjp.run(call.feeds, { outputs: call.outputs });
      for (let i = 0; i < half; i++)
        next[i] = step.latentScale * g[i]! + gradSample[i]! + gradSample[half + i]!;
      [g, next] = [next, g];
    }
    return { xT: g, stepNoises: stepGradients };
  }
}
