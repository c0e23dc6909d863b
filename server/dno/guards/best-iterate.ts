/**
 * Keep the best iterate, not the last (ReNO returns the best image along the trajectory): copies the
 * optimized tensors into preallocated buffers whenever the tracked score beats the best so far.
 * Which score is tracked is the caller's choice (the objective, or one reward).
 */
import type { FloatArray } from "../tensor";
import type { GuardReport } from "./guard";

export class BestIterateTracker {
  readonly id = "best-iterate";
  private bestScore = -Infinity;
  private bestIteration = -1;
  private readonly buffers: Float32Array[];

  constructor(sizes: readonly number[]) {
    this.buffers = sizes.map((size) => new Float32Array(size));
  }

  /** Offers this iteration's tensors; fired = it became the best (and was copied). */
  offer(iteration: number, score: number, tensors: readonly FloatArray[]): GuardReport {
    if (tensors.length !== this.buffers.length) {
      throw new RangeError(`best iterate: got ${tensors.length} tensors, tracking ${this.buffers.length}.`);
    }
    const improved = score > this.bestScore;
    if (improved) {
      for (let t = 0; t < tensors.length; t++) {
        const source = tensors[t]!;
        const target = this.buffers[t]!;
        if (source.length !== target.length) {
          throw new RangeError(
            `best iterate: tensor ${t} has ${source.length} values, expected ${target.length}.`,
          );
        }
        target.set(source);
      }
      this.bestScore = score;
      this.bestIteration = iteration;
    }
    return { value: this.bestScore, fired: improved, detail: { bestIteration: this.bestIteration } };
  }

  get score(): number {
    return this.bestScore;
  }

  get iteration(): number {
    return this.bestIteration;
  }

  /** The best tensors so far (views of the tracker's buffers; copy before modifying). */
  get tensors(): readonly Float32Array[] {
    return this.buffers;
  }
}
