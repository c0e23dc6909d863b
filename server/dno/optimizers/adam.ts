/**
 * Adam and AdamW with PyTorch's update rules (torch.optim.Adam / AdamW, amsgrad off):
 *
 *   t ← t + 1
 *   Adam:  g ← g + wd·p                      (L2 penalty folded into the gradient)
 *   AdamW: p ← p·(1 − lr·wd)                  (decoupled weight decay)
 *   m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
 *   p ← p − (lr / (1 − β1^t)) · m / (sqrt(v) / sqrt(1 − β2^t) + eps)
 *
 * Weight decay is explicit and defaults to 0 for BOTH. The authors' stored SD and SDXL scripts build AdamW
 * with no weight-decay argument, so they run PyTorch's default 0.01; decay pulls the noise toward zero,
 * away from a typical Gaussian sample, so we keep it off unless the user sets it (METHOD.md §7).
 */
import type { FloatArray } from "../tensor";
import {
  checkStepShapes,
  type Optimizer,
  type OptimizerStateSnapshot,
  restoreBuffers,
  snapshotBuffers,
} from "./optimizer";

export interface AdamOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Default 0 (see the file comment). */
  weightDecay?: number;
  /** true = AdamW (decoupled decay); false = Adam (L2 in the gradient). */
  decoupledWeightDecay?: boolean;
}

export class Adam implements Optimizer {
  readonly kind: "adam" | "adamw";
  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  private t = 0;
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];

  /** `sizes`: the length of each optimized tensor. */
  constructor(sizes: readonly number[], options: AdamOptions) {
    this.kind = options.decoupledWeightDecay ? "adamw" : "adam";
    this.learningRate = options.learningRate;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    for (const [name, value, low, high] of [
      ["beta1", this.beta1, 0, 1],
      ["beta2", this.beta2, 0, 1],
    ] as const) {
      if (!(value >= low && value < high)) {
        throw new RangeError(`${this.kind}: ${name} must be in [${low}, ${high}), got ${value}.`);
      }
    }
    if (!(this.epsilon > 0)) throw new RangeError(`${this.kind}: epsilon must be > 0, got ${this.epsilon}.`);
    if (!(this.weightDecay >= 0)) {
      throw new RangeError(`${this.kind}: weightDecay must be ≥ 0, got ${this.weightDecay}.`);
    }
    this.m = sizes.map((size) => new Float64Array(size));
    this.v = sizes.map((size) => new Float64Array(size));
  }

  get stepCount(): number {
    return this.t;
  }

  step(params: readonly FloatArray[], grads: readonly FloatArray[]): void {
    checkStepShapes(this.kind, params, grads, this.m);
    this.t += 1;
    const { beta1, beta2, epsilon, weightDecay, learningRate: lr } = this;
    const stepSize = lr / (1 - beta1 ** this.t);
    const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** this.t);
    const decoupled = this.kind === "adamw";
    const decayFactor = decoupled ? 1 - lr * weightDecay : 1;
    const l2 = decoupled ? 0 : weightDecay;
    for (let tensor = 0; tensor < params.length; tensor++) {
      const p = params[tensor]!;
      const g = grads[tensor]!;
      const m = this.m[tensor]!;
      const v = this.v[tensor]!;
      for (let i = 0; i < p.length; i++) {
        let param = p[i]! * decayFactor;
        const grad = g[i]! + l2 * p[i]!;
        const mi = beta1 * m[i]! + (1 - beta1) * grad;
        const vi = beta2 * v[i]! + (1 - beta2) * grad * grad;
        m[i] = mi;
        v[i] = vi;
        param -= (stepSize * mi) / (Math.sqrt(vi) / biasCorrection2Sqrt + epsilon);
        p[i] = param;
      }
    }
  }

  saveState(): OptimizerStateSnapshot {
    return {
      kind: this.kind,
      step: this.t,
      buffers: { m: snapshotBuffers(this.m), v: snapshotBuffers(this.v) },
    };
  }

  loadState(snapshot: OptimizerStateSnapshot): void {
    if (snapshot.kind !== this.kind) {
      throw new TypeError(`${this.kind}: cannot load a ${snapshot.kind} optimizer state.`);
    }
    restoreBuffers(this.kind, this.m, snapshot.buffers.m);
    restoreBuffers(this.kind, this.v, snapshot.buffers.v);
    this.t = snapshot.step;
  }
}
