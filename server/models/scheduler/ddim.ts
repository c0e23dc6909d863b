/**
 * DDIM with eta (Song et al.), exactly as METHOD.md §2, with the noise schedule and timestep spacing of
 * diffusers' DDIMScheduler so that a model trained with diffusers samples as it would in PyTorch.
 *
 *   σ_t     = eta · sqrt((1−ᾱ_{t−1})/(1−ᾱ_t)) · sqrt(1 − ᾱ_t/ᾱ_{t−1})
 *   x_{t−1} = sqrt(ᾱ_{t−1}/ᾱ_t)·x_t + [ sqrt(1−ᾱ_{t−1}−σ_t²) − sqrt(ᾱ_{t−1}/ᾱ_t)·sqrt(1−ᾱ_t) ]·ε̂ + σ_t·z_t
 *
 * The last step (t_1 → 0) is noise-free by default (σ = 0 there, as in DDIM's original form and the DNO
 * authors' sampler); `finalStepNoise: true` keeps diffusers' σ_t on it (METHOD.md §2 "The last step").
 *
 * Pure arithmetic on Float32Arrays, no model calls: the sampler and the DNO engine's backward pass share it.
 */
import { z } from "zod";

export type BetaSchedule = "linear" | "scaled_linear" | "squaredcos_cap_v2";
export type TimestepSpacing = "leading" | "trailing" | "linspace";

/** The fields of diffusers' scheduler_config.json that DDIM reads (diffusers' defaults where absent). */
export const ddimConfigSchema = z.object({
  num_train_timesteps: z.number().int().positive().default(1000),
  beta_start: z.number().positive().default(0.0001),
  beta_end: z.number().positive().default(0.02),
  beta_schedule: z.enum(["linear", "scaled_linear", "squaredcos_cap_v2"]).default("linear"),
  trained_betas: z.array(z.number()).nullable().optional(),
  set_alpha_to_one: z.boolean().default(true),
  steps_offset: z.number().int().min(0).default(0),
  timestep_spacing: z.enum(["leading", "trailing", "linspace"]).default("leading"),
  prediction_type: z.string().default("epsilon"),
  clip_sample: z.boolean().default(true),
  rescale_betas_zero_snr: z.boolean().default(false),
});

/** What the UNet predicts: the noise ε, the velocity v = sqrt(ᾱ)·ε − sqrt(1−ᾱ)·x0, or x0 itself. */
export const SUPPORTED_PREDICTION_TYPES = ["epsilon", "v_prediction", "sample"] as const;
export type PredictionType = (typeof SUPPORTED_PREDICTION_TYPES)[number];

export type DdimConfig = z.infer<typeof ddimConfigSchema>;

export interface NoiseSchedule {
  readonly numTrainTimesteps: number;
  readonly betas: Float64Array;
  /** ᾱ_t = Π_{s≤t} (1 − β_s), t = 0 … N−1. */
  readonly alphasCumprod: Float64Array;
  /** ᾱ used for the step that lands past t = 0: 1 with set_alpha_to_one, else ᾱ_0. */
  readonly finalAlphaCumprod: number;
}

/** diffusers' betas_for_alpha_bar with the cosine transform (Nichol & Dhariwal), max_beta 0.999. */
function cosineBetas(count: number): Float64Array {
  const alphaBar = (t: number) => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  const betas = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    betas[i] = Math.min(1 - alphaBar((i + 1) / count) / alphaBar(i / count), 0.999);
  }
  return betas;
}

function linspace(start: number, end: number, count: number): Float64Array {
  const out = new Float64Array(count);
  if (count === 1) {
    out[0] = start;
    return out;
  }
  const step = (end - start) / (count - 1);
  for (let i = 0; i < count; i++) out[i] = start + step * i;
  out[count - 1] = end;
  return out;
}

export function noiseSchedule(config: DdimConfig): NoiseSchedule {
  const count = config.num_train_timesteps;
  let betas: Float64Array;
  if (config.trained_betas) {
    betas = Float64Array.from(config.trained_betas);
  } else if (config.beta_schedule === "linear") {
    betas = linspace(config.beta_start, config.beta_end, count);
  } else if (config.beta_schedule === "scaled_linear") {
    // Stable Diffusion's schedule: linear in sqrt(β).
    betas = linspace(Math.sqrt(config.beta_start), Math.sqrt(config.beta_end), count).map((b) => b * b);
  } else {
    betas = cosineBetas(count);
  }
  const alphasCumprod = new Float64Array(betas.length);
  let product = 1;
  for (let i = 0; i < betas.length; i++) {
    product *= 1 - (betas[i] ?? 0);
    alphasCumprod[i] = product;
  }
  return {
    numTrainTimesteps: betas.length,
    betas,
    alphasCumprod,
    finalAlphaCumprod: config.set_alpha_to_one ? 1 : (alphasCumprod[0] ?? 1),
  };
}

/** numpy's np.round: halves go to the even neighbour. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** The inference timesteps, descending, as diffusers' DDIMScheduler.set_timesteps computes them. */
export function ddimTimesteps(config: DdimConfig, steps: number): number[] {
  const count = config.num_train_timesteps;
  if (!Number.isInteger(steps) || steps < 1 || steps > count) {
    throw new RangeError(
      `DDIM steps must be an integer in [1, ${count}] (num_train_timesteps), got ${steps}`,
    );
  }
  const timesteps: number[] = [];
  if (config.timestep_spacing === "linspace") {
    const points = linspace(0, count - 1, steps);
    for (let i = steps - 1; i >= 0; i--) timesteps.push(roundHalfEven(points[i] ?? 0));
  } else if (config.timestep_spacing === "leading") {
    const ratio = Math.floor(count / steps);
    for (let i = steps - 1; i >= 0; i--) timesteps.push(i * ratio + config.steps_offset);
  } else {
    // np.arange(N, 0, -N/steps): values are N − i·ratio (not a running subtraction).
    const ratio = count / steps;
    for (let i = 0; count - i * ratio > 0; i++) timesteps.push(roundHalfEven(count - i * ratio) - 1);
  }
  return timesteps;
}

/**
 * One DDIM transition's coefficients: x_{t−1} = a·x_t + b·m̂ + σ·z, where m̂ is the (guided) model output.
 * For an ε-prediction model m̂ = ε̂; for other prediction types `ddimPlan` folds the conversion to ε̂, which is
 * linear in x_t and m̂, into a and b (`withPrediction`), so the sampler and the chain's backward pass treat
 * every model alike.
 */
export interface DdimCoefficients {
  readonly timestep: number;
  readonly prevTimestep: number;
  readonly alphaProd: number;
  readonly alphaProdPrev: number;
  /** sqrt(ᾱ_{t−1}/ᾱ_t) for ε-prediction */
  readonly latentScale: number;
  /** sqrt(1−ᾱ_{t−1}−σ²) − sqrt(ᾱ_{t−1}/ᾱ_t)·sqrt(1−ᾱ_t) for ε-prediction: the model output's coefficient */
  readonly epsilonScale: number;
  /** σ_t */
  readonly sigma: number;
}

export function ddimCoefficients(
  alphaProd: number,
  alphaProdPrev: number,
  eta: number,
): Omit<DdimCoefficients, "timestep" | "prevTimestep"> {
  const variance = ((1 - alphaProdPrev) / (1 - alphaProd)) * (1 - alphaProd / alphaProdPrev);
  const sigma = eta * Math.sqrt(Math.max(variance, 0));
  const latentScale = Math.sqrt(alphaProdPrev / alphaProd);
  const epsilonScale =
    Math.sqrt(Math.max(1 - alphaProdPrev - sigma * sigma, 0)) - latentScale * Math.sqrt(1 - alphaProd);
  return { alphaProd, alphaProdPrev, latentScale, epsilonScale, sigma };
}

/**
 * Rewrites ε-prediction coefficients (a, b) for a model predicting something else, with ε̂ = c_x·x_t + c_m·m̂:
 * a' = a + b·c_x, b' = b·c_m.
 *   v_prediction: ε̂ = sqrt(1−ᾱ)·x_t + sqrt(ᾱ)·v̂   (so x̂0 = sqrt(ᾱ)·x_t − sqrt(1−ᾱ)·v̂)
 *   sample:       ε̂ = (x_t − sqrt(ᾱ)·x̂0) / sqrt(1−ᾱ)
 */
export function withPrediction<T extends Omit<DdimCoefficients, "timestep" | "prevTimestep">>(
  coefficients: T,
  predictionType: string,
): T {
  const { alphaProd, latentScale, epsilonScale } = coefficients;
  let latentFromX: number;
  let fromOutput: number;
  if (predictionType === "epsilon") return coefficients;
  if (predictionType === "v_prediction") {
    latentFromX = Math.sqrt(1 - alphaProd);
    fromOutput = Math.sqrt(alphaProd);
  } else if (predictionType === "sample") {
    latentFromX = 1 / Math.sqrt(1 - alphaProd);
    fromOutput = -Math.sqrt(alphaProd) / Math.sqrt(1 - alphaProd);
  } else {
    throw new RangeError(
      `prediction_type "${predictionType}" is not supported; supported: ${SUPPORTED_PREDICTION_TYPES.join(", ")}`,
    );
  }
  return {
    ...coefficients,
    latentScale: latentScale + epsilonScale * latentFromX,
    epsilonScale: epsilonScale * fromOutput,
  };
}

/** The default of the last-step convention: noise-free, as the DNO authors' sampler (METHOD.md §2). */
export const DEFAULT_FINAL_STEP_NOISE = false;

export interface DdimPlanOptions {
  /**
   * true: the last step adds σ_t·z like every other (diffusers' DDIMScheduler); false (default): the last
   * step is computed with σ = 0 (noise term and ε̂ coefficient), so its noise z has no effect.
   */
  readonly finalStepNoise?: boolean;
}

/**
 * The whole plan of a DDIM run: one entry per step, from t = T down. The previous timestep is
 * t − N/steps (integer division) as in diffusers, whatever the spacing.
 */
export function ddimPlan(
  config: DdimConfig,
  steps: number,
  eta: number,
  options: DdimPlanOptions = {},
): DdimCoefficients[] {
  const finalStepNoise = options.finalStepNoise ?? DEFAULT_FINAL_STEP_NOISE;
  if (!(eta >= 0) || !Number.isFinite(eta))
    throw new RangeError(`eta must be a finite number ≥ 0, got ${eta}`);
  const schedule = noiseSchedule(config);
  const stride = Math.floor(config.num_train_timesteps / steps);
  const timesteps = ddimTimesteps(config, steps);
  return timesteps.map((timestep, index) => {
    const prevTimestep = timestep - stride;
    const alphaProd = schedule.alphasCumprod[timestep];
    if (alphaProd === undefined) {
      throw new RangeError(
        `Timestep ${timestep} is outside the schedule (0 … ${schedule.numTrainTimesteps - 1})`,
      );
    }
    const alphaProdPrev =
      prevTimestep >= 0 ? (schedule.alphasCumprod[prevTimestep] ?? 1) : schedule.finalAlphaCumprod;
    const stepEta = index === timesteps.length - 1 && !finalStepNoise ? 0 : eta;
    return withPrediction(
      { timestep, prevTimestep, ...ddimCoefficients(alphaProd, alphaProdPrev, stepEta) },
      config.prediction_type,
    );
  });
}

/**
 * x_{t−1} = a·x_t + b·ε̂ + σ·z into `out` (which may alias `latent`). With σ = 0 the noise is not read, so
 * `noise` may be null for eta = 0.
 */
export function ddimStep(
  coefficients: Pick<DdimCoefficients, "latentScale" | "epsilonScale" | "sigma">,
  latent: Float32Array,
  epsilon: Float32Array,
  noise: Float32Array | null,
  out: Float32Array = new Float32Array(latent.length),
): Float32Array {
  const { latentScale, epsilonScale, sigma } = coefficients;
  const n = latent.length;
  if (epsilon.length !== n || out.length !== n) {
    throw new RangeError(
      `ddimStep: latent (${n}), epsilon (${epsilon.length}) and out (${out.length}) differ in length`,
    );
  }
  if (sigma !== 0) {
    if (!noise || noise.length !== n) {
      throw new RangeError(
        `ddimStep: eta > 0 needs per-step noise of ${n} values, got ${noise ? noise.length : "none"}`,
      );
    }
    for (let i = 0; i < n; i++)
      out[i] = latentScale * latent[i]! + epsilonScale * epsilon[i]! + sigma * noise[i]!;
  } else {
    for (let i = 0; i < n; i++) out[i] = latentScale * latent[i]! + epsilonScale * epsilon[i]!;
  }
  return out;
}
