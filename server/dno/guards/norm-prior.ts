/**
 * ReNO's norm prior on Gaussian noise: λ·(½‖ε‖² − (d − 1)·log‖ε‖), the negative log-density of the
 * chi distribution of ‖ε‖ up to a constant; minimal at ‖ε‖ = sqrt(d − 1), where noise norms concentrate.
 *   gradient: λ·(1 − (d − 1)/‖ε‖²)·ε
 * "fired" when ‖ε‖ is atypical for a standard Gaussian sample: more than `tolerance` from sqrt(d − 1)
 * (the norm's standard deviation is about 1/√2, so the default 3/√2 is a 3-sigma band).
 */
import { type FloatArray, squaredNorm } from "../tensor";
import type { GuardReport, NoisePenaltyGuard } from "./guard";

export interface NormPriorOptions {
  /** λ (default 0.01, as ReNO). */
  weight?: number;
  /** Allowed |‖ε‖ − sqrt(d − 1)| before it counts as fired (default 3/√2). */
  tolerance?: number;
}

export class NormPriorGuard implements NoisePenaltyGuard {
  readonly id = "norm-prior";
  readonly weight: number;
  readonly tolerance: number;

  constructor(options: NormPriorOptions = {}) {
    this.weight = options.weight ?? 0.01;
    this.tolerance = options.tolerance ?? 3 / Math.SQRT2;
    if (!(this.weight >= 0)) throw new RangeError(`norm prior: weight λ must be ≥ 0, got ${this.weight}.`);
  }

  evaluate(z: FloatArray, _iteration: number, lossGradient?: FloatArray): GuardReport {
    const d = z.length;
    const squared = squaredNorm(z);
    if (squared === 0) {
      throw new RangeError(
        "norm prior: the noise is all zeros, where log‖ε‖ is undefined; start from Gaussian noise.",
      );
    }
    const length = Math.sqrt(squared);
    const value = this.weight * (0.5 * squared - (d - 1) * Math.log(length));
    if (lossGradient && this.weight > 0) {
      if (lossGradient.length !== d) {
        throw new RangeError(`norm prior: gradient buffer has ${lossGradient.length} values, z has ${d}.`);
      }
      const scale = this.weight * (1 - (d - 1) / squared);
      for (let i = 0; i < d; i++) lossGradient[i] = lossGradient[i]! + scale * z[i]!;
    }
    const typical = Math.sqrt(d - 1);
    return {
      value,
      fired: Math.abs(length - typical) > this.tolerance,
      penalty: value,
      detail: { norm: length, typicalNorm: typical },
    };
  }
}
