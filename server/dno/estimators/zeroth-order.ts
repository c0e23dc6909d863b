/**
 * Zeroth-order (ZO-SGD) gradient estimate from reward values only:
 *   forward differences (default):  ĝ = 1/(q·μ) · Σ_i (f(z + μξ_i) − f(z))·ξ_i          q + 1 forward passes
 *   antithetic (central):           ĝ = 1/(2q·μ) · Σ_i (f(z + μξ_i) − f(z − μξ_i))·ξ_i   2q + 1 forward passes
 * with f = ℓ∘M and ξ_i ~ N(0, I). Both are unbiased for the gradient of the Gaussian-smoothed f; the
 * antithetic form cancels the even (curvature) terms and so has lower variance per perturbation.
 * (The antithetic variant still evaluates f(z) once, for the reported reward and image.)
 */
import { createRng } from "@/server/models/rng";
import { iterationSeed } from "../guards/guard";
import {
  checkEstimatorOptions,
  forwardAll,
  type GeneratorFunctions,
  type GradientEstimate,
  perturb,
} from "./estimator";

export interface ZerothOrderOptions {
  /** q (default 4). */
  perturbations?: number;
  /** μ (default 0.01, as the paper's hybrid). */
  smoothing?: number;
  antithetic?: boolean;
  seed: number;
  iteration: number;
}

export async function zerothOrderEstimate(
  functions: GeneratorFunctions,
  z: Float32Array,
  options: ZerothOrderOptions,
): Promise<GradientEstimate> {
  const q = options.perturbations ?? 4;
  const mu = options.smoothing ?? 0.01;
  const antithetic = options.antithetic ?? false;
  checkEstimatorOptions("zeroth-order estimator", q, mu);
  const rng = createRng(iterationSeed(options.seed, options.iteration));
  const directions: Float32Array[] = [];
  for (let i = 0; i < q; i++) {
    const xi = new Float32Array(z.length);
    for (let j = 0; j < xi.length; j++) xi[j] = rng.normal();
    directions.push(xi);
  }
  const points: Float32Array[] = [z];
  for (const xi of directions) points.push(perturb(new Float32Array(z.length), z, xi, mu));
  if (antithetic) for (const xi of directions) points.push(perturb(new Float32Array(z.length), z, xi, -mu));
  const images = await forwardAll(functions, points);
  const rewards: number[] = [];
  for (const image of images) rewards.push(await functions.reward(image));
  const base = rewards[0]!;
  const gradient = new Float32Array(z.length);
  for (let i = 0; i < q; i++) {
    const difference = antithetic ? rewards[1 + i]! - rewards[1 + q + i]! : rewards[1 + i]! - base;
    const coefficient = difference / ((antithetic ? 2 : 1) * q * mu);
    if (coefficient === 0) continue;
    const xi = directions[i]!;
    for (let j = 0; j < gradient.length; j++) gradient[j] = gradient[j]! + coefficient * xi[j]!;
  }
  return {
    gradient,
    reward: base,
    image: images[0]!,
    perturbedRewards: rewards.slice(1),
    forwardPasses: points.length,
    vjpPasses: 0,
  };
}
