/**
 * PR as a guard: penalty γ·PR(z) on the loss, fired when PR leaves its floor (the reward-hacking
 * meter). Permutations are re-drawn every iteration from (seed, iteration), so a run is reproducible.
 */
import type { FloatArray } from "../tensor";
import type { GuardReport, NoisePenaltyGuard } from "./guard";
import type { ProbabilityRegularizationPool } from "./probability-regularization-pool";
import { iterationSeed } from "./guard";
import {
  createProbabilityRegularizationWorkspace,
  DEFAULT_PR_BLOCK_SIZE,
  DEFAULT_PR_PERMUTATIONS,
  type ProbabilityRegularizationResult,
  type ProbabilityRegularizationWorkspace,
  probabilityRegularization,
} from "./probability-regularization";

export interface ProbabilityRegularizationGuardOptions {
  /** γ (default 1). 0 still measures PR (the meter) but adds no penalty and computes no gradient. */
  weight?: number;
  permutations?: number;
  blockSize?: number;
  seed: number;
}

export class ProbabilityRegularizationGuard implements NoisePenaltyGuard {
  readonly id = "probability-regularization";
  readonly weight: number;
  readonly permutations: number;
  readonly blockSize: number;
  readonly seed: number;
  private workspace: ProbabilityRegularizationWorkspace | null = null;
  /** The full result of the last evaluation (terms, active fraction), for detailed views. */
  last: ProbabilityRegularizationResult | null = null;

  constructor(options: ProbabilityRegularizationGuardOptions) {
    this.weight = options.weight ?? 1;
    this.permutations = options.permutations ?? DEFAULT_PR_PERMUTATIONS;
    this.blockSize = options.blockSize ?? DEFAULT_PR_BLOCK_SIZE;
    this.seed = options.seed;
    if (!(this.weight >= 0))
      throw new RangeError(`probability regularization: weight γ must be ≥ 0, got ${this.weight}.`);
  }

  evaluate(z: FloatArray, iteration: number, lossGradient?: FloatArray): GuardReport {
    if (!this.workspace || this.workspace.length !== z.length) {
      this.workspace = createProbabilityRegularizationWorkspace(z.length, this.blockSize);
    }
    return this.report(probabilityRegularization(z, this.options(iteration, lossGradient), this.workspace));
  }

  /**
   * The same evaluation on a worker pool: start it before the model's forward pass (PR depends only on
   * z) and await it when the loss gradient is assembled. z must stay unchanged until it resolves.
   */
  async evaluateOnPool(
    pool: ProbabilityRegularizationPool,
    z: FloatArray,
    iteration: number,
    lossGradient?: FloatArray,
  ): Promise<GuardReport> {
    return this.report(await pool.evaluate(z, this.options(iteration, lossGradient)));
  }

  private options(iteration: number, lossGradient: FloatArray | undefined) {
    return {
      seed: iterationSeed(this.seed, iteration),
      permutations: this.permutations,
      blockSize: this.blockSize,
      gradient: this.weight > 0 ? lossGradient : undefined,
      gradientScale: this.weight,
    };
  }

  private report(result: ProbabilityRegularizationResult): GuardReport {
    this.last = result;
    return {
      value: result.value,
      fired: result.fired,
      penalty: this.weight * result.value,
      detail: {
        floor: result.floor,
        sequential: result.sequentialPart,
        shuffled: result.shuffledPart,
        activeFraction: result.shuffledActiveFraction,
        m1: result.sequential.m1,
        m2: result.sequential.m2,
      },
    };
  }
}
