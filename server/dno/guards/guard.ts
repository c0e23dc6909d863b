/**
 * What every guard reports at every iteration (stored in the run history and drawn as guard states):
 * its value, whether it fired, the penalty it adds to the loss (loss = −objective) if any, and whether it
 * asks the loop to stop.
 */
import type { FloatArray } from "../tensor";

export interface GuardReport {
  value: number;
  fired: boolean;
  /** Added to the loss (subtracted from the objective). */
  penalty?: number;
  /** The loop should stop after this iteration. */
  stop?: boolean;
  /** Extra numbers worth showing (floor, distance, norm, …). */
  detail?: Record<string, number>;
  /**
   * How much this guard changed this iteration's update, as a share of what the rewards asked for
   * (0.32 = 32 %): ‖the guard's part of the gradient‖ / ‖the rewards' part‖, or for a projection
   * ‖the pull-back‖ / ‖the optimizer's step‖. Measured by the objective (../objective.ts, METHOD.md §5),
   * not by the guard; absent when it cannot be measured (no gradient this iteration, or a zeroth-order
   * estimate of everything).
   */
  change?: number;
}

/**
 * A guard that penalises the optimized noise itself (PR, the norm prior, a trust-region penalty).
 * z is one image's whole optimized noise, flattened and contiguous (the executor keeps each image's
 * noise set in one buffer and hands per-step views to the sampler).
 */
export interface NoisePenaltyGuard {
  readonly id: string;
  /**
   * Value at z. With `lossGradient`, ∂penalty/∂z is ADDED into it (the penalty enters the loss with +,
   * so this is its loss gradient).
   */
  evaluate(z: FloatArray, iteration: number, lossGradient?: FloatArray): GuardReport;
}

/** Mixes a run seed and an iteration number into a 32-bit seed (fresh PR permutations per iteration). */
export function iterationSeed(seed: number, iteration: number): number {
  let h = (seed ^ Math.imul(iteration + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
