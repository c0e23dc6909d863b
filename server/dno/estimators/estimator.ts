/**
 * Gradient estimators for rewards without a gradient (JPEG size, an external scorer). They are written
 * against abstract functions so that they run on the real pipeline (noise → sampler → VAE → image)
 * as well as on the analytic toy problems of the tests:
 *
 *   forward(z) → image            the generator M (the whole sampling chain and decoder)
 *   reward(image) → number        the black-box reward ℓ (higher is better)
 *   vjp(z, cotangent) → J_M(z)ᵀ·cotangent   (hybrid only: the exact chain VJP)
 *
 * Both return an estimate of ∇_z ℓ(M(z)) — the ASCENT direction of the reward; ../objective.ts turns
 * it into the loss gradient. Perturbations ξ_i ~ N(0, I) are drawn from `createRng` seeded by
 * (seed, iteration), so an estimate is reproducible.
 */
import type { FloatArray, MaybePromise } from "../tensor";

export interface GeneratorFunctions {
  forward(z: Float32Array): MaybePromise<Float32Array>;
  /**
   * Optional batched forward (the executor runs the q perturbed chains as one ONNX batch); defaults to
   * calling `forward` once per input.
   */
  forwardMany?(zs: readonly Float32Array[]): MaybePromise<Float32Array[]>;
  reward(image: Float32Array): MaybePromise<number>;
}

export interface DifferentiableGenerator extends GeneratorFunctions {
  vjp(z: Float32Array, cotangent: Float32Array): MaybePromise<Float32Array>;
}

export interface GradientEstimate {
  /** Estimate of ∇_z reward (ascent direction), length of z. */
  gradient: Float32Array;
  /** ℓ(M(z)) at the unperturbed point. */
  reward: number;
  /** M(z), reusable by the caller (history image, other rewards). */
  image: Float32Array;
  /** Rewards of the perturbed points, in order. */
  perturbedRewards: number[];
  /** Generator forward passes spent (the unit of "model evaluations"). */
  forwardPasses: number;
  /** VJP passes spent (hybrid: 1). */
  vjpPasses: number;
}

export async function forwardAll(
  functions: GeneratorFunctions,
  zs: readonly Float32Array[],
): Promise<Float32Array[]> {
  if (functions.forwardMany) {
    const images = await functions.forwardMany(zs);
    if (images.length !== zs.length) {
      throw new RangeError(
        `estimator: forwardMany returned ${images.length} images for ${zs.length} inputs.`,
      );
    }
    return images;
  }
  const images: Float32Array[] = [];
  for (const z of zs) images.push(await functions.forward(z));
  return images;
}

/** Fills `out` with z + scale·xi. */
export function perturb(out: Float32Array, z: FloatArray, xi: Float32Array, scale: number): Float32Array {
  for (let i = 0; i < out.length; i++) out[i] = z[i]! + scale * xi[i]!;
  return out;
}

export function checkEstimatorOptions(where: string, perturbations: number, smoothing: number): void {
  if (!Number.isInteger(perturbations) || perturbations < 1) {
    throw new RangeError(`${where}: perturbations q must be an integer ≥ 1, got ${perturbations}.`);
  }
  if (!(smoothing > 0)) throw new RangeError(`${where}: smoothing μ must be > 0, got ${smoothing}.`);
}
