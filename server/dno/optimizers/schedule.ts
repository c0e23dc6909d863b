/**
 * Step-size schedules and gradient normalization: what the loop applies around an optimizer's step
 * (`server/executor/dno-loop/iteration.ts`, update phase). Both depend only on the iteration index and the
 * current gradient, so a resumed run reproduces an uninterrupted one (no extra checkpoint state).
 *
 *   constant: lr_i = lr
 *   cosine:   lr_i = lr·(f + (1 − f)·½·(1 + cos(π·i/(N − 1))))   for update i = 0 … N − 2 of a run of N
 *             iterations (the last iteration only evaluates), f = COSINE_FLOOR: from lr down to f·lr.
 *
 * Normalized gradient: g ← g·√D/‖g‖ (D values over the image's whole noise set): unit root-mean-square, so
 * with SGD the learning rate is the RMS change of a noise value per step, as it is for Adam (whose first
 * steps move every value by about lr), whatever the rewards' scale, the number of steps or the model's size
 * (METHOD.md §7).
 */
import type { FloatArray } from "../tensor";

export type LearningRateSchedule = "constant" | "cosine";

/** The fraction of the learning rate a cosine schedule ends at (not 0: the last updates still move). */
export const COSINE_FLOOR = 0.1;

/** The learning rate of update `iteration` (0-based) in a run of `iterations` iterations. */
export function scheduledLearningRate(
  learningRate: number,
  schedule: LearningRateSchedule,
  iteration: number,
  iterations: number,
): number {
  if (schedule === "constant") return learningRate;
  const updates = iterations - 1;
  if (updates <= 1) return learningRate;
  const progress = Math.min(Math.max(iteration / (updates - 1), 0), 1);
  return learningRate * (COSINE_FLOOR + (1 - COSINE_FLOOR) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}

/**
 * Scales the gradients in place to unit root-mean-square over all their values together (global L2 norm
 * √D); a zero gradient stays zero. Returns the L2 norm before scaling.
 */
export function normalizeGradient(grads: readonly FloatArray[]): number {
  let sumSquares = 0;
  let count = 0;
  for (const grad of grads) {
    count += grad.length;
    for (let i = 0; i < grad.length; i++) sumSquares += grad[i]! * grad[i]!;
  }
  const norm = Math.sqrt(sumSquares);
  if (!(norm > 0) || !Number.isFinite(norm)) return norm;
  const scale = Math.sqrt(count) / norm;
  for (const grad of grads) for (let i = 0; i < grad.length; i++) grad[i] = grad[i]! * scale;
  return norm;
}
