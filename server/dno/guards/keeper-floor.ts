/**
 * Keeper-reward floor: another reward (e.g. prompt faithfulness while maximizing brightness) must stay
 * at or above `floor`.
 *   mode "penalty": loss += weight·max(0, floor − r) per image; its derivative with respect to the
 *     keeper reward is −weight while below the floor, so the objective gains +weight·∂r/∂z there
 *     (`rewardGradientWeights`, one per image, used by ../objective.ts).
 *   mode "stop": no penalty; asks the loop to stop as soon as any image falls below the floor (the
 *     batch runs together; keep-the-best then returns the last good iterate).
 */
import type { GuardReport } from "./guard";

export interface KeeperFloorOptions {
  /** Id of the kept reward (a reward of the objective, possibly with weight 0). */
  rewardId: string;
  floor: number;
  mode?: "penalty" | "stop";
  /** Penalty weight (default 1). */
  weight?: number;
}

export interface KeeperFloorReport extends GuardReport {
  /** Per image: the weight the keeper reward's gradient gets in the objective (0 above the floor). */
  rewardGradientWeights: Float64Array;
}

export class KeeperFloorGuard {
  readonly id: string;
  readonly rewardId: string;
  readonly floor: number;
  readonly mode: "penalty" | "stop";
  readonly weight: number;

  constructor(options: KeeperFloorOptions) {
    this.rewardId = options.rewardId;
    this.id = `keeper-floor:${options.rewardId}`;
    this.floor = options.floor;
    this.mode = options.mode ?? "penalty";
    this.weight = options.weight ?? 1;
    if (!Number.isFinite(this.floor))
      throw new RangeError(`keeper floor: floor must be a finite number, got ${this.floor}.`);
    if (!(this.weight >= 0)) throw new RangeError(`keeper floor: weight must be ≥ 0, got ${this.weight}.`);
  }

  /** `scores`: the keeper reward's value per image. The report's value is the lowest of them. */
  evaluate(scores: Float64Array): KeeperFloorReport {
    const weights = new Float64Array(scores.length);
    let penalty = 0;
    let lowest = Infinity;
    let below = false;
    for (let b = 0; b < scores.length; b++) {
      const r = scores[b]!;
      lowest = Math.min(lowest, r);
      if (r < this.floor) {
        below = true;
        if (this.mode === "penalty") {
          penalty += this.weight * (this.floor - r);
          weights[b] = this.weight;
        }
      }
    }
    return {
      value: lowest,
      fired: below,
      penalty,
      stop: this.mode === "stop" && below,
      detail: { floor: this.floor },
      rewardGradientWeights: weights,
    };
  }
}
