import type { ImageSizeRule } from "./image-size";

/**
 * What a node's `run` may touch: everything in the outside world reaches a node through this context,
 * which keeps node declarations isomorphic (the browser imports them for the palette and the forms).
 *
 * The server's executor provides the implementation; tests provide their own. Fields are added here as the
 * runtime grows (model runtime, DNO engine); node files import this file with `import type` only.
 */
export interface NodeRunContext {
  /** Aborted when the run is cancelled; long operations check it between model calls. */
  readonly signal: AbortSignal;
  /** Human-readable log line attached to the run (and to the node that wrote it). */
  log(message: string): void;
  /** The diffusion models the server can run (server/models, through server/onnx). */
  readonly runtime: DiffusionRuntime;
}

/** Latent tensor geometry of a model: SD-1.5 is 4×64×64, the bundled model 4×8×8. */
export interface LatentShape {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
}

export interface ModelProblemSummary {
  readonly severity: "error" | "warning";
  /** Path inside the model folder, e.g. "unet/model.onnx". */
  readonly file: string;
  readonly message: string;
}

/** One entry of the model list (the Sampler's model picker, `models.list`). */
export interface ModelSummary {
  /**
   * What a Sampler stores: the folder name for bundled models, "user:<folder>" for MODELS_DIR ones,
   * "upload:<sha256>" for uploaded ones (nodes/model-id.ts). No server path: clients never see one.
   */
  readonly id: string;
  readonly name: string;
  readonly source: "bundled" | "user" | "upload";
  readonly valid: boolean;
  readonly problems: readonly ModelProblemSummary[];
  /** The words the model was trained on (its folder's vocabulary.json); absent when the folder has none. */
  readonly vocabulary?: readonly string[];
  /** The first paragraph of its MODEL_CARD.md as plain text (capped); absent when there is no card. */
  readonly cardSummary?: string;
  /** The folder has a samples.png grid (served by /api/models/samples?model=<id>). */
  readonly hasSamples?: boolean;
  /** The Sampler's "Image size" choices for this model; absent when the folder's graphs cannot be read. */
  readonly imageSize?: ImageSizeRule;
}

/** Text-encoder states for classifier-free guidance: [2B, T, W], the B unconditional rows first. */
export interface EncodedPrompt {
  readonly modelId: string;
  readonly batch: number;
  readonly tokens: number;
  readonly width: number;
  readonly hidden: Float32Array;
}

/** The optimizable noise of a DDIM run: x_T and one z per step, each [B, C, h, w], image after image. */
export interface NoiseTensors {
  readonly batch: number;
  readonly latent: LatentShape;
  readonly xT: Float32Array;
  /** First step (t = T) first; empty when drawn for eta = 0 only. */
  readonly stepNoises: readonly Float32Array[];
}

/** Decoded images [B, 3, H, W] with values in [−1, 1]. */
export interface ImageTensor {
  readonly batch: number;
  readonly channels: 3;
  readonly height: number;
  readonly width: number;
  readonly data: Float32Array;
}

export interface SampleRequest {
  readonly modelId: string;
  /** Square size in pixels; absent or 0 = the model's default (nodes/image-size.ts). */
  readonly imageSize?: number;
  readonly conditioning: EncodedPrompt;
  readonly xT: Float32Array;
  /** Required (one per step) when eta > 0; ignored when eta = 0. */
  readonly stepNoises: readonly Float32Array[] | null;
  readonly steps: number;
  readonly eta: number;
  readonly guidanceScale: number;
  /** σ_t·z on the last step too (diffusers); default false: a noise-free last step (METHOD.md §2). */
  readonly finalStepNoise?: boolean;
  readonly signal?: AbortSignal;
  /** Called after each step with the new latent (kept in the result; do not modify). */
  readonly onStep?: (step: { index: number; timestep: number; latent: Float32Array }) => void;
}

export interface SampleResult {
  /** x_T … x_0 (steps + 1 latents): the DNO engine's checkpoints for the backward pass. */
  readonly latents: readonly Float32Array[];
  readonly timesteps: readonly number[];
  readonly image: ImageTensor;
}

export interface DiffusionRuntime {
  listModels(): Promise<readonly ModelSummary[]>;
  /** The latent a run at `imageSize` (square pixels; absent or 0 = the model's default) samples. */
  latentShape(modelId: string, imageSize?: number): Promise<LatentShape>;
  /** Encodes B prompts and the unconditional branch (the negative prompt, or ""). */
  encodePrompt(request: {
    modelId: string;
    prompts: readonly string[];
    negativePrompt?: string;
  }): Promise<EncodedPrompt>;
  /** Seeded x_T and per-step noise (derivation documented in server/models/noise.ts). */
  seededNoise(request: {
    modelId: string;
    seeds: readonly number[];
    steps: number;
    withStepNoise?: boolean;
    /** The latent's size follows the image size (absent or 0 = the model's default). */
    imageSize?: number;
  }): Promise<NoiseTensors>;
  sample(request: SampleRequest): Promise<SampleResult>;
}

/*
 * Values travelling along edges. Prompt and Noise do not know which model will consume them (the Sampler
 * picks it), so they hand over values that resolve for a model on demand, memoized per model.
 */

/** The `conditioning` port. */
export interface ConditioningValue {
  readonly kind: "conditioning";
  readonly text: string;
  readonly negativeText: string;
  /** Hidden states for `batch` copies of the prompt, for the given model. */
  encode(modelId: string, batch: number): Promise<EncodedPrompt>;
}

/** The `noise` port. */
export interface NoiseValue {
  readonly kind: "noise";
  readonly seeds: readonly number[];
  readonly optimize: "initial" | "initial-and-steps";
  /**
   * Seeded tensors for a model, step count and image size (square pixels; absent or 0 = the model's
   * default). The optimizer replaces them with its own iterates.
   */
  materialize(modelId: string, steps: number, imageSize?: number): Promise<NoiseTensors>;
}

/** The `image` port. */
export interface ImageValue {
  readonly kind: "image";
  readonly modelId: string;
  readonly image: ImageTensor;
  /** The sampling trajectory x_T … x_0 that produced the image. */
  readonly latents: readonly Float32Array[];
  readonly seeds: readonly number[];
  readonly prompt: string;
}
