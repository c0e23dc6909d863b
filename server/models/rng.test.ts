import { describe, expect, it } from "vitest";
import { createRng, gaussian, permutation } from "./rng";

describe("rng", () => {
  it("is deterministic per seed and differs across seeds", () => {
    expect(Array.from(gaussian(7, 8))).toEqual(Array.from(gaussian(7, 8)));
    expect(Array.from(gaussian(7, 8))).not.toEqual(Array.from(gaussian(8, 8)));
  });

  it("draws standard normals with the right moments", () => {
    const x = gaussian(1, 200_000);
    let sum = 0;
    let sumSq = 0;
    for (const v of x) {
      sum += v;
      sumSq += v * v;
    }
    const mean = sum / x.length;
    const variance = sumSq / x.length - mean * mean;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.01);
  });

  it("draws uniforms in [0, 1) and permutations of 0..n-1", () => {
    const rng = createRng(3);
    for (let i = 0; i < 1000; i++) {
      const u = rng.uniform();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
    }
    const perm = Array.from(permutation(createRng(4), 100)).sort((a, b) => a - b);
    expect(perm).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it("rejects seeds that are not 32-bit unsigned integers", () => {
    expect(() => createRng(-1)).toThrow(/Seed must be an integer/);
    expect(() => createRng(1.5)).toThrow(/Seed must be an integer/);
  });
});
