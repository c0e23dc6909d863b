/**
 * Trust region: keeps the optimized noise within L2 distance `radius` of the starting noise z0.
 *   mode "project" (default): after each optimizer update, z ← z0 + (z − z0)·radius/‖z − z0‖ when
 *     ‖z − z0‖ > radius (a hard constraint; no penalty, no gradient).
 *   mode "penalty": loss += weight·max(0, ‖z − z0‖ − radius)², gradient 2·weight·(dist − radius)·(z − z0)/dist
 *     (a soft constraint the optimizer sees).
 * Both report the distance and whether the constraint was active.
 */
import { distance, type FloatArray } from "../tensor";
import type { GuardReport, NoisePenaltyGuard } from "./guard";

export interface TrustRegionOptions {
  /** Maximum L2 distance from the starting noise. */
  radius: number;
  mode?: "project" | "penalty";
  /** Penalty weight (mode "penalty"; default 1). */
  weight?: number;
}

export class TrustRegionGuard implements NoisePenaltyGuard {
  readonly id = "trust-region";
  readonly radius: number;
  readonly mode: "project" | "penalty";
  readonly weight: number;
  private readonly start: Float32Array | Float64Array;

  /** `start` is copied: later changes to the caller's buffer do not move the region. */
  constructor(start: FloatArray, options: TrustRegionOptions) {
    if (!(options.radius > 0))
      throw new RangeError(`trust region: radius must be > 0, got ${options.radius}.`);
    this.radius = options.radius;
    this.mode = options.mode ?? "project";
    this.weight = options.weight ?? 1;
    this.start = start.slice();
  }

  /** Penalty mode's value and loss gradient; in project mode only reports the distance. */
  evaluate(z: FloatArray, _iteration: number, lossGradient?: FloatArray): GuardReport {
    this.checkLength(z);
    const dist = distance(z, this.start);
    const excess = dist - this.radius;
    if (this.mode === "project") {
      return { value: dist, fired: excess > 0, penalty: 0, detail: { radius: this.radius } };
    }
    const active = excess > 0;
    if (active && lossGradient) {
      const scale = (2 * this.weight * excess) / dist;
      for (let i = 0; i < z.length; i++)
        lossGradient[i] = lossGradient[i]! + scale * (z[i]! - this.start[i]!);
    }
    return {
      value: dist,
      fired: active,
      penalty: active ? this.weight * excess * excess : 0,
      detail: { radius: this.radius },
    };
  }

  /** Project mode: pulls z back onto the ball after an update (in place). Reports the distance before. */
  project(z: FloatArray): GuardReport {
    this.checkLength(z);
    const dist = distance(z, this.start);
    const fired = this.mode === "project" && dist > this.radius;
    if (fired) {
      const scale = this.radius / dist;
      for (let i = 0; i < z.length; i++) z[i] = this.start[i]! + scale * (z[i]! - this.start[i]!);
    }
    return { value: dist, fired, detail: { radius: this.radius, after: fired ? this.radius : dist } };
  }

  private checkLength(z: FloatArray): void {
    if (z.length !== this.start.length) {
      throw new RangeError(
        `trust region: z has ${z.length} values, the starting noise ${this.start.length}.`,
      );
    }
  }
}
