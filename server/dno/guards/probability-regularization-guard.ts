/**
 * PR as a guard: penalty γ·PR(z) on the loss (the paper's, unchanged) and the reward-hacking meter: PR's
 * percentile among fresh Gaussian samples of the same length (./pr-calibration.ts); the guard fires when
 * that percentile reaches `firesAtPercentile` (default 99). Permutations are re-drawn every iteration from
 * (seed, iteration), so a run is reproducible.
 */
import type { FloatArray } from "../tensor";
import type { GuardReport, NoisePenaltyGuard } from "./guard";
import { PR_BAND_DRIFTING_FROM, type PrCalibration, prBand, prCalibration } from "./pr-calibration";
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
  /** The meter's percentile (0–100) at and above which the guard fires (default 99). */
  firesAtPercentile?: number;
  /** Where the PR calibration is cached on disk (memory only without it). */
  calibrationCacheDir?: string;
}

export const DEFAULT_PR_FIRES_AT_PERCENTILE = 99;

/** PR's band as a number for GuardReport.detail: 0 typical, 1 drifting, 2 likely hacking. */
const BAND_CODES = { typical: 0, drifting: 1, "likely-hacking": 2 } as const;

export class ProbabilityRegularizationGuard implements NoisePenaltyGuard {
  readonly id = "probability-regularization";
  readonly weight: number;
  readonly permutations: number;
  readonly blockSize: number;
  readonly seed: number;
  readonly firesAtPercentile: number;
  private readonly calibrationCacheDir: string | undefined;
  private calibration: PrCalibration | null = null;
  private workspace: ProbabilityRegularizationWorkspace | null = null;
  /** The full result of the last evaluation (terms, active fraction), for detailed views. */
  last: ProbabilityRegularizationResult | null = null;

  constructor(options: ProbabilityRegularizationGuardOptions) {
    this.weight = options.weight ?? 1;
    this.permutations = options.permutations ?? DEFAULT_PR_PERMUTATIONS;
    this.blockSize = options.blockSize ?? DEFAULT_PR_BLOCK_SIZE;
    this.seed = options.seed;
    this.firesAtPercentile = options.firesAtPercentile ?? DEFAULT_PR_FIRES_AT_PERCENTILE;
    this.calibrationCacheDir = options.calibrationCacheDir;
    if (!(this.weight >= 0))
      throw new RangeError(`probability regularization: weight γ must be ≥ 0, got ${this.weight}.`);
    if (!(this.firesAtPercentile >= 0 && this.firesAtPercentile <= 100))
      throw new RangeError(
        `probability regularization: "Fires at percentile" must be between 0 and 100, got ${this.firesAtPercentile}.`,
      );
  }

  evaluate(z: FloatArray, iteration: number, lossGradient?: FloatArray): GuardReport {
    if (!this.workspace || this.workspace.length !== z.length) {
      this.workspace = createProbabilityRegularizationWorkspace(z.length, this.blockSize);
    }
    return this.report(
      probabilityRegularization(z, this.options(iteration, lossGradient), this.workspace),
      z.length,
    );
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
    const length = z.length;
    return this.report(await pool.evaluate(z, this.options(iteration, lossGradient)), length);
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

  /** PR's distribution under fresh Gaussian noise of this length and these settings (simulated once). */
  calibrationFor(dimension: number): PrCalibration {
    if (!this.calibration || this.calibration.dimension !== dimension) {
      this.calibration = prCalibration(
        { dimension, blockSize: this.blockSize, permutations: this.permutations },
        { cacheDir: this.calibrationCacheDir },
      );
    }
    return this.calibration;
  }

  private report(result: ProbabilityRegularizationResult, dimension: number): GuardReport {
    this.last = result;
    const calibration = this.calibrationFor(dimension);
    const percentile = calibration.percentile(result.value);
    return {
      value: result.value,
      // Not "a term left its clamp" (true for a quarter of fresh samples): PR is unusual for pure noise.
      fired: percentile >= this.firesAtPercentile,
      penalty: this.weight * result.value,
      detail: {
        percentile,
        band: BAND_CODES[prBand(percentile)],
        driftingFrom: calibration.valueAtPercentile(PR_BAND_DRIFTING_FROM),
        firesFrom: calibration.valueAtPercentile(this.firesAtPercentile),
        termsActive: result.fired ? 1 : 0,
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
