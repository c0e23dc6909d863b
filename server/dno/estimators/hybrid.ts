/**
 * Hybrid estimator (METHOD.md §6, what the DNO paper ships for non-differentiable rewards): only the
 * reward is a black box, the generator is differentiated exactly.
 *   z_i = z + μ·ξ_i,  x_i = M(z_i),  x_0 = M(z)
 *   ĝ = Σ_i (ℓ(x_i) − ℓ(x_0))·(x_i − x_0)          image-space estimate of ∇ℓ (up to scale)
 *   ĝ ← ĝ / ‖ĝ‖                                      unit norm (0 when every ℓ(x_i) = ℓ(x_0))
 *   gradient = J_M(z)ᵀ·ĝ                            one exact chain VJP
 * The reference divides by ‖ĝ‖ + 1e-3; we normalise exactly to unit norm, as METHOD.md §6 states, so the
 * step does not silently shrink when reward differences are small.
 * Cost per iteration: q + 1 forward passes and one VJP (x_0's forward can be supplied by the caller,
 * who usually has it from the main forward pass).
 */
import { createRng } from "@/server/models/rng";
import { iterationSeed } from "../guards/guard";
import {
  checkEstimatorOptions,
  type DifferentiableGenerator,
  forwardAll,
  type GradientEstimate,
  perturb,
} from "./estimator";

export interface HybridOptions {
  /** q (default 4). */
  perturbations?: number;
  /** μ (default 0.01, as the paper). */
  smoothing?: number;
  seed: number;
  iteration: number;
  /** M(z) when the caller already computed it (saves one forward pass). */
  image?: Float32Array;
}

export async function hybridEstimate(
  generator: DifferentiableGenerator,
  z: Float32Array,
  options: HybridOptions,
): Promise<GradientEstimate & { imageDirection: Float32Array }> {
  const q = options.perturbations ?? 4;
  const mu = options.smoothing ?? 0.01;
  checkEstimatorOptions("hybrid estimator", q, mu);
  const rng = createRng(iterationSeed(options.seed, options.iteration));
  const points: Float32Array[] = [];
  for (let i = 0; i < q; i++) {
    const xi = new Float32Array(z.length);
    for (let j = 0; j < xi.length; j++) xi[j] = rng.normal();
    points.push(perturb(xi, z, xi, mu));
  }
  if (!options.image) points.unshift(z);
  const images = await forwardAll(generator, points);
  const x0 = options.image ?? images.shift()!;
  const base = await generator.reward(x0);
  const direction = new Float32Array(x0.length);
  const perturbedRewards: number[] = [];
  for (const xi of images) {
    if (xi.length !== x0.length) {
      throw new RangeError(
        `hybrid estimator: perturbed image has ${xi.length} values, the image ${x0.length}.`,
      );
    }
    const r = await generator.reward(xi);
    perturbedRewards.push(r);
    const difference = r - base;
    if (difference === 0) continue;
    for (let j = 0; j < direction.length; j++) direction[j] = direction[j]! + difference * (xi[j]! - x0[j]!);
  }
  let sumSquares = 0;
  for (let j = 0; j < direction.length; j++) sumSquares += direction[j]! * direction[j]!;
  const length = Math.sqrt(sumSquares);
  if (length > 0) for (let j = 0; j < direction.length; j++) direction[j] = direction[j]! / length;
  const gradient = length > 0 ? await generator.vjp(z, direction) : new Float32Array(z.length);
  if (gradient.length !== z.length) {
    throw new RangeError(
      `hybrid estimator: the VJP returned ${gradient.length} values for ${z.length} noise values.`,
    );
  }
  return {
    gradient,
    reward: base,
    image: x0,
    imageDirection: direction,
    perturbedRewards,
    forwardPasses: points.length,
    vjpPasses: length > 0 ? 1 : 0,
  };
}
