import { afterAll, describe, expect, it } from "vitest";
import { gaussian } from "@/server/models/rng";
import { probabilityRegularization } from "./probability-regularization";
import { ProbabilityRegularizationGuard } from "./probability-regularization-guard";
import { ProbabilityRegularizationPool } from "./probability-regularization-pool";

describe("PR worker pool", () => {
  const pool = new ProbabilityRegularizationPool({ workers: 2, chunks: 5 });
  afterAll(() => pool.close());

  it("gives the single-threaded value and gradient, for typical and drifted noise", async () => {
    for (const scale of [1, 1.03]) {
      const z = gaussian(7, 4 * 3000 + 1).map((v) => v * scale);
      const serialGradient = new Float32Array(z.length);
      const serial = probabilityRegularization(z, {
        seed: 9,
        permutations: 23,
        gradient: serialGradient,
        gradientScale: 2,
      });
      const pooledGradient = new Float32Array(z.length);
      const pooled = await pool.evaluate(z, {
        seed: 9,
        permutations: 23,
        gradient: pooledGradient,
        gradientScale: 2,
      });
      expect(pooled.value).toBeCloseTo(serial.value, 12);
      expect(pooled.fired).toBe(serial.fired);
      expect(pooled.shuffledActiveFraction).toBe(serial.shuffledActiveFraction);
      let maxError = 0;
      let maxGradient = 0;
      for (let i = 0; i < z.length; i++) {
        maxError = Math.max(maxError, Math.abs(pooledGradient[i]! - serialGradient[i]!));
        maxGradient = Math.max(maxGradient, Math.abs(serialGradient[i]!));
      }
      expect(maxGradient).toBeGreaterThan(0);
      expect(maxError).toBeLessThan(1e-6 * maxGradient + 1e-9);
    }
  });

  it("gives the same numbers whatever the number of workers", async () => {
    const z = gaussian(3, 4000).map((v) => v * 1.02);
    const one = new ProbabilityRegularizationPool({ workers: 1, chunks: 5 });
    try {
      const a = await one.evaluate(z, { seed: 1, permutations: 17 });
      const b = await pool.evaluate(z, { seed: 1, permutations: 17 });
      expect(a.value).toBe(b.value);
    } finally {
      await one.close();
    }
  });

  it("the PR guard reports the same on the pool as inline", async () => {
    const z = gaussian(5, 4000).map((v) => v * 1.05);
    const guard = new ProbabilityRegularizationGuard({ weight: 0.5, permutations: 12, seed: 4 });
    const inline = guard.evaluate(z, 3);
    const pooled = await guard.evaluateOnPool(pool, z, 3);
    expect(pooled.value).toBeCloseTo(inline.value, 12);
    expect(pooled.penalty).toBeCloseTo(inline.penalty!, 12);
    expect(pooled.fired).toBe(inline.fired);
  });
});
