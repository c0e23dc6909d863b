/**
 * Early stop on a plateau: stop once the objective (maximized) has not improved by more than
 * `minDelta` over its best for `patience` consecutive iterations. Reports the iterations since the
 * last improvement.
 */
import type { GuardReport } from "./guard";

export interface PlateauStopOptions {
  /** Iterations without improvement before stopping (default 10). */
  patience?: number;
  /** Smallest gain that counts as an improvement (default 0). */
  minDelta?: number;
}

export class PlateauStopGuard {
  readonly id = "plateau-stop";
  readonly patience: number;
  readonly minDelta: number;
  private best = -Infinity;
  private stale = 0;

  constructor(options: PlateauStopOptions = {}) {
    this.patience = options.patience ?? 10;
    this.minDelta = options.minDelta ?? 0;
    if (!Number.isInteger(this.patience) || this.patience < 1) {
      throw new RangeError(`plateau stop: patience must be an integer ≥ 1, got ${this.patience}.`);
    }
    if (!(this.minDelta >= 0))
      throw new RangeError(`plateau stop: minDelta must be ≥ 0, got ${this.minDelta}.`);
  }

  update(objective: number): GuardReport {
    if (objective > this.best + this.minDelta) {
      this.best = objective;
      this.stale = 0;
    } else {
      this.stale++;
    }
    const stop = this.stale >= this.patience;
    return { value: this.stale, fired: stop, stop, detail: { best: this.best } };
  }

  saveState(): { best: number; stale: number } {
    return { best: this.best, stale: this.stale };
  }

  loadState(state: { best: number; stale: number }): void {
    this.best = state.best;
    this.stale = state.stale;
  }
}
