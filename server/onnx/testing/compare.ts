/**
 * Comparisons the provider-parity tests share (CPU vs WebGPU, float16 vs float32): differences relative to the
 * expected side's scale, so one tolerance fits images, latents and gradients alike.
 */
import { expect } from "vitest";
import { createRng } from "@/server/models/rng";

/** max |a − b| / max(floor, max |a|). */
export function relativeDifference(
  expected: ArrayLike<number>,
  actual: ArrayLike<number>,
  floor = 1,
): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(expected[i]! - actual[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  expect(Number.isFinite(worst)).toBe(true);
  return worst / Math.max(floor, scale);
}

/** Gradients are small numbers: compared to their own scale, and never all zero. */
export function gradientDifference(expected: ArrayLike<number>, actual: ArrayLike<number>): number {
  const scale = Math.max(...Array.from(expected, Math.abs));
  expect(scale).toBeGreaterThan(1e-8);
  return relativeDifference(expected, actual, scale);
}

/** Seeded standard normal values (the app's own generator), for inputs both sides get. */
export function seededNormal(seed: number, length: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length }, () => rng.normal());
}
