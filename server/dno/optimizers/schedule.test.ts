import { describe, expect, it } from "vitest";
import { COSINE_FLOOR, normalizeGradient, scheduledLearningRate } from "./schedule";

describe("step-size schedules (METHOD.md §7)", () => {
  it("constant keeps the learning rate at every update", () => {
    for (const i of [0, 7, 48]) expect(scheduledLearningRate(0.3, "constant", i, 50)).toBe(0.3);
  });

  it("cosine starts at lr, passes lr·(1 + f)/2 half-way and ends at f·lr on the last update", () => {
    // 11 iterations: updates 0 … 9 (the last iteration only evaluates).
    const lr = (i: number) => scheduledLearningRate(2, "cosine", i, 11);
    expect(lr(0)).toBe(2);
    expect(lr(9)).toBeCloseTo(2 * COSINE_FLOOR, 14);
    expect(lr(4.5)).toBeCloseTo((2 * (1 + COSINE_FLOOR)) / 2, 14);
    // By hand at update 3 of 9: ½(1 + cos(π/3)) = 0.75.
    expect(lr(3)).toBeCloseTo(2 * (COSINE_FLOOR + (1 - COSINE_FLOOR) * 0.75), 14);
    for (let i = 1; i <= 9; i++) expect(lr(i)).toBeLessThan(lr(i - 1));
  });

  it("cosine with one or two iterations takes the plain learning rate", () => {
    expect(scheduledLearningRate(0.5, "cosine", 0, 1)).toBe(0.5);
    expect(scheduledLearningRate(0.5, "cosine", 0, 2)).toBe(0.5);
  });
});

describe("normalizeGradient", () => {
  it("scales all tensors together to unit root-mean-square (norm √D) and returns the norm before", () => {
    const a = Float32Array.from([3, 0]);
    const b = Float64Array.from([0, 4]);
    expect(normalizeGradient([a, b])).toBe(5);
    // D = 4: norm 2, so (3, 0, 0, 4) becomes (1.2, 0, 0, 1.6).
    expect(a[0]).toBeCloseTo(1.2, 6);
    expect(b[1]).toBeCloseTo(1.6, 14);
    expect(Math.hypot(a[0]!, a[1]!, b[0]!, b[1]!) / 2).toBeCloseTo(1, 6);
  });

  it("leaves a zero gradient at zero (no division by zero)", () => {
    const zero = new Float32Array(3);
    expect(normalizeGradient([zero])).toBe(0);
    expect(Array.from(zero)).toEqual([0, 0, 0]);
  });
});
