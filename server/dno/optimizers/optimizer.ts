/**
 * Optimizers of the DNO loop. Convention: like PyTorch, every optimizer MINIMIZES. The engine
 * maximizes objective = Σ wᵢ·rᵢ − γ·PR − penalties, so it hands the optimizer
 * loss = −objective and its gradient (`Objective.lossGradient` in ../objective.ts).
 *
 * The optimized variable is a list of tensors (e.g. the initial latent and each step's noise, or one
 * contiguous noise set); updates are in place. Moment buffers are float64 whatever the parameter type,
 * and `saveState()` returns plain number arrays that JSON round-trips exactly, so a restored optimizer
 * continues bit-identically.
 */
import type { FloatArray } from "../tensor";

export interface OptimizerStateSnapshot {
  kind: OptimizerKind;
  /** Updates taken so far. */
  step: number;
  /** The optimizer's per-tensor buffers by name (e.g. Adam's m and v), each a list (one per tensor). */
  buffers: Record<string, number[][]>;
}

export type OptimizerKind = "adam" | "adamw" | "sgd";

export interface Optimizer {
  readonly kind: OptimizerKind;
  /** Updates taken so far. */
  readonly stepCount: number;
  /** One update: params[i] -= f(grads[i], state). Gradients are of the loss (minimization). */
  step(params: readonly FloatArray[], grads: readonly FloatArray[]): void;
  /** The learning rate used by the next step (schedules may change it between steps). */
  learningRate: number;
  saveState(): OptimizerStateSnapshot;
  loadState(snapshot: OptimizerStateSnapshot): void;
}

/**
 * Scales the gradients in place so that their global L2 norm (over all tensors together) is at most
 * maxNorm, exactly as torch.nn.utils.clip_grad_norm_ (coefficient maxNorm / (norm + 1e-6), capped at 1).
 * Returns the norm before clipping (what the run history records as gradNorm).
 */
export function clipGradientNorm(grads: readonly FloatArray[], maxNorm: number): number {
  let sumSquares = 0;
  for (const grad of grads) {
    for (let i = 0; i < grad.length; i++) {
      const g = grad[i]!;
      sumSquares += g * g;
    }
  }
  const totalNorm = Math.sqrt(sumSquares);
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) return totalNorm;
  const coefficient = maxNorm / (totalNorm + 1e-6);
  if (coefficient < 1) {
    for (const grad of grads) {
      for (let i = 0; i < grad.length; i++) grad[i] = grad[i]! * coefficient;
    }
  }
  return totalNorm;
}

/** Global L2 norm over several tensors. */
export function globalNorm(tensors: readonly FloatArray[]): number {
  let sumSquares = 0;
  for (const tensor of tensors) {
    for (let i = 0; i < tensor.length; i++) {
      const v = tensor[i]!;
      sumSquares += v * v;
    }
  }
  return Math.sqrt(sumSquares);
}

export function checkStepShapes(
  where: string,
  params: readonly FloatArray[],
  grads: readonly FloatArray[],
  buffers: readonly Float64Array[],
): void {
  if (params.length !== grads.length || params.length !== buffers.length) {
    throw new RangeError(
      `${where}: got ${params.length} parameter tensors, ${grads.length} gradients and state for ${buffers.length}; ` +
        "pass the same tensors at every step as at creation.",
    );
  }
  for (let t = 0; t < params.length; t++) {
    const p = params[t]!;
    const g = grads[t]!;
    const b = buffers[t]!;
    if (p.length !== g.length || p.length !== b.length) {
      throw new RangeError(
        `${where}: tensor ${t} has ${p.length} values, its gradient ${g.length}, its state ${b.length}.`,
      );
    }
  }
}

export function snapshotBuffers(buffers: readonly Float64Array[]): number[][] {
  return buffers.map((buffer) => Array.from(buffer));
}

export function restoreBuffers(where: string, target: Float64Array[], source: number[][] | undefined): void {
  if (!source || source.length !== target.length) {
    throw new RangeError(
      `${where}: snapshot has ${source?.length ?? 0} tensors, this optimizer has ${target.length}; ` +
        "restore into an optimizer created for the same tensor sizes.",
    );
  }
  for (let t = 0; t < target.length; t++) {
    const from = source[t]!;
    const to = target[t]!;
    if (from.length !== to.length) {
      throw new RangeError(
        `${where}: snapshot tensor ${t} has ${from.length} values, expected ${to.length}.`,
      );
    }
    to.set(from);
  }
}
