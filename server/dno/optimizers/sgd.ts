/**
 * SGD with (Nesterov) momentum, PyTorch's rule (torch.optim.SGD, dampening 0):
 *
 *   g ← g + wd·p
 *   b ← g on the first step, else b ← μ·b + g
 *   Nesterov: p ← p − lr·(g + μ·b);   plain momentum: p ← p − lr·b
 *
 * ReNO's setting: Nesterov, lr 5, gradient clip 0.1.
 */
import type { FloatArray } from "../tensor";
import {
  checkStepShapes,
  type Optimizer,
  type OptimizerStateSnapshot,
  restoreBuffers,
  snapshotBuffers,
} from "./optimizer";

export interface SgdOptions {
  learningRate: number;
  /** μ (default 0.9). */
  momentum?: number;
  /** Default true. */
  nesterov?: boolean;
  /** Default 0. */
  weightDecay?: number;
}

export class Sgd implements Optimizer {
  readonly kind = "sgd" as const;
  learningRate: number;
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  private t = 0;
  private readonly buffer: Float64Array[];

  constructor(sizes: readonly number[], options: SgdOptions) {
    this.learningRate = options.learningRate;
    this.momentum = options.momentum ?? 0.9;
    this.nesterov = options.nesterov ?? true;
    this.weightDecay = options.weightDecay ?? 0;
    if (!(this.momentum >= 0 && this.momentum < 1)) {
      throw new RangeError(`sgd: momentum must be in [0, 1), got ${this.momentum}.`);
    }
    if (this.nesterov && this.momentum === 0) {
      throw new RangeError(
        "sgd: Nesterov momentum needs momentum > 0; set momentum (e.g. 0.9) or nesterov: false.",
      );
    }
    this.buffer = sizes.map((size) => new Float64Array(size));
  }

  get stepCount(): number {
    return this.t;
  }

  step(params: readonly FloatArray[], grads: readonly FloatArray[]): void {
    checkStepShapes("sgd", params, grads, this.buffer);
    const first = this.t === 0;
    this.t += 1;
    const { momentum: mu, weightDecay: wd, learningRate: lr, nesterov } = this;
    for (let tensor = 0; tensor < params.length; tensor++) {
      const p = params[tensor]!;
      const g = grads[tensor]!;
      const b = this.buffer[tensor]!;
      for (let i = 0; i < p.length; i++) {
        const grad = g[i]! + wd * p[i]!;
        let direction = grad;
        if (mu !== 0) {
          const bi = first ? grad : mu * b[i]! + grad;
          b[i] = bi;
          direction = nesterov ? grad + mu * bi : bi;
        }
        p[i] = p[i]! - lr * direction;
      }
    }
  }

  saveState(): OptimizerStateSnapshot {
    return { kind: "sgd", step: this.t, buffers: { momentum: snapshotBuffers(this.buffer) } };
  }

  loadState(snapshot: OptimizerStateSnapshot): void {
    if (snapshot.kind !== "sgd") throw new TypeError(`sgd: cannot load a ${snapshot.kind} optimizer state.`);
    restoreBuffers("sgd", this.buffer, snapshot.buffers.momentum);
    this.t = snapshot.step;
  }
}
