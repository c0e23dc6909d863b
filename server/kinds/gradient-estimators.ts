/**
 * Each declared gradient estimator (nodes/kinds/gradient-estimators.ts) as the engine's estimate of one
 * image's direction (server/dno/estimators), or null for exact backprop; complete by type. The loop
 * (dno-loop/iteration.ts) calls it where the declaration's `estimates` says: with the forward pass
 * ("everything") or after the rewards ("rewards-without-gradient").
 */
import type { GradientEstimator } from "@/nodes/kinds/gradient-estimators";
import type { DifferentiableGenerator, GradientEstimate } from "@/server/dno/estimators/estimator";
import { hybridEstimate } from "@/server/dno/estimators/hybrid";
import { zerothOrderEstimate } from "@/server/dno/estimators/zeroth-order";

export interface EstimateOptions {
  readonly perturbations: number;
  readonly smoothing: number;
  readonly seed: number;
  readonly iteration: number;
  /** M(z) when the loop already has it (hybrid: saves a forward pass). */
  readonly image?: Float32Array;
}

export type EstimateDirection = (
  generator: DifferentiableGenerator,
  z: Float32Array,
  options: EstimateOptions,
) => Promise<GradientEstimate>;

export const gradientEstimatorImplementations = {
  backprop: null,
  "zeroth-order": (generator, z, { perturbations, smoothing, seed, iteration }) =>
    zerothOrderEstimate(generator, z, { perturbations, smoothing, seed, iteration }),
  hybrid: (generator, z, options) => hybridEstimate(generator, z, options),
} satisfies { readonly [K in GradientEstimator]: EstimateDirection | null };

/** The estimate function of the run's estimator; one that estimates must have one. */
export function estimateDirection(estimator: GradientEstimator): EstimateDirection {
  const estimate = gradientEstimatorImplementations[estimator];
  if (!estimate)
    throw new Error(`The “${estimator}” estimator computes exact gradients; it has no estimate.`);
  return estimate;
}
