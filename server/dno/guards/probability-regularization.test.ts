import { describe, expect, it } from "vitest";
import { gaussian } from "@/server/models/rng";
import { norm } from "../tensor";
import {
  createProbabilityRegularizationWorkspace,
  seededPermutation,
  probabilityRegularization,
  probabilityRegularizationFloor,
} from "./probability-regularization";

const LOG2 = Math.log(2);

/**
 * Direct transcription of the reference (materialised permuted copies, explicit Z, spectral norm by
 * power iteration on (S − I)², no clamps-as-branches shortcuts) — an independent oracle.
 */
function naivePr(z: ArrayLike<number>, k: number, permutations: number, seed: number): number {
  const terms = (values: ArrayLike<number>): number => {
    const n = Math.floor(values.length / k);
    const rows: number[][] = [];
    for (let j = 0; j < n; j++) rows.push(Array.from({ length: k }, (_, a) => values[j * k + a]!));
    const m = Array.from({ length: k }, (_, a) => rows.reduce((s, r) => s + r[a]!, 0) / n);
    const m1 = Math.sqrt(m.reduce((s, v) => s + v * v, 0));
    const dev = Array.from({ length: k }, (_, a) =>
      Array.from(
        { length: k },
        (_, b) => rows.reduce((s, r) => s + r[a]! * r[b]!, 0) / n - (a === b ? 1 : 0),
      ),
    );
    // Power iteration on dev² gives the largest |λ|².
    let v = Array.from({ length: k }, (_, a) => 1 + 0.1 * a);
    let lambdaSquared = 0;
    for (let it = 0; it < 2000; it++) {
      const w1 = dev.map((row) => row.reduce((s, x, b) => s + x * v[b]!, 0));
      const w2 = dev.map((row) => row.reduce((s, x, b) => s + x * w1[b]!, 0));
      const length = Math.sqrt(w2.reduce((s, x) => s + x * x, 0));
      if (length === 0) break;
      lambdaSquared = length / Math.sqrt(v.reduce((s, x) => s + x * x, 0));
      v = w2.map((x) => x / length);
    }
    const m2 = Math.sqrt(lambdaSquared);
    const logPMean = Math.min((-n * m1 * m1) / 2 / k, -LOG2);
    const delta = Math.max(Math.sqrt(1 + m2) - 1 - Math.sqrt(k / n), 0);
    const logPCov = Math.min((-n * delta * delta) / 2, -LOG2);
    return logPMean + logPCov;
  };
  let total = -terms(z);
  if (permutations > 0) {
    const perm = new Uint32Array(z.length);
    let shuffled = 0;
    for (let r = 0; r < permutations; r++) {
      seededPermutation(seed, r, perm);
      shuffled += -terms(Array.from(perm, (index) => z[index]!));
    }
    total += shuffled / permutations;
  }
  return total;
}

describe("probability regularization", () => {
  it("matches a hand-computed case with both terms active (rows (3,0,0,0), n = 8, R = 0)", () => {
    const z = new Float64Array(32);
    for (let j = 0; j < 8; j++) z[j * 4] = 3;
    const gradient = new Float64Array(32);
    const result = probabilityRegularization(z, { seed: 1, permutations: 0, gradient });
    // m = (3,0,0,0): −log p_mean = 8·9/8 = 9. S − I = diag(8,−1,−1,−1): M2 = 8, δ = 3 − 1 − √(1/2).
    const delta = 2 - Math.SQRT1_2;
    expect(result.sequential.m1).toBeCloseTo(3, 12);
    expect(result.sequential.m2).toBeCloseTo(8, 12);
    expect(result.value).toBeCloseTo(9 + 4 * delta * delta, 12);
    expect(result.fired).toBe(true);
    expect(result.floor).toBeCloseTo(2 * LOG2, 15);
    // ∂/∂z = m/k + δ/√(1+M2)·(e0e0ᵀ)·(3,0,0,0) = 0.75 + δ on the first entry of each row, 0 elsewhere.
    for (let i = 0; i < 32; i++) expect(gradient[i]).toBeCloseTo(i % 4 === 0 ? 0.75 + delta : 0, 12);
  });

  it("matches a hand-computed case with permutations (constant z: every permutation equals the sequence)", () => {
    const z = new Float32Array(32).fill(1);
    const gradient = new Float32Array(32);
    const result = probabilityRegularization(z, { seed: 5, permutations: 7, gradient });
    // m = (1,1,1,1): −log p_mean = 8·4/8 = 4; S − I has eigenvalues 3, −1, −1, −1: δ = 1 − √(1/2), and
    // −8·δ²/2 ≈ −0.343 > −log 2 so the covariance term sits on its clamp.
    expect(result.sequentialPart).toBeCloseTo(4 + LOG2, 12);
    expect(result.shuffledPart).toBeCloseTo(4 + LOG2, 12);
    expect(result.value).toBeCloseTo(2 * (4 + LOG2), 12);
    expect(result.sequential.covActive).toBe(false);
    expect(result.shuffledActiveFraction).toBe(1);
    // Mean term gradient m/k = 1/4, from the sequence and (averaged) from the permutations.
    for (const g of gradient) expect(g).toBeCloseTo(0.5, 6);
  });

  it("sits exactly on the floor with zero gradient when no term is active", () => {
    const z = new Float64Array([2, 0, 0, 0, 0, 0, 0, 0]);
    const gradient = new Float64Array(8);
    const result = probabilityRegularization(z, { seed: 3, permutations: 0, gradient });
    expect(result.value).toBe(2 * LOG2);
    expect(result.fired).toBe(false);
    expect(Array.from(gradient)).toEqual(new Array(8).fill(0));
  });

  it("agrees with a naive reference on random inputs, k = 4 and a generic k, with a ragged tail", () => {
    for (const [k, length, scale] of [
      [4, 4 * 50 + 3, 1.3],
      [3, 3 * 40 + 2, 0.8],
      [2, 2 * 30, 1.2],
      [5, 5 * 25 + 4, 1],
    ] as const) {
      const z = gaussian(11 + k, length).map((v, i) => v * scale + (i % k === 0 ? 0.2 : 0));
      const result = probabilityRegularization(z, { seed: 9, permutations: 6, blockSize: k });
      expect(result.value).toBeCloseTo(naivePr(z, k, 6, 9), 6);
      expect(result.ignoredValues).toBe(length % k);
      expect(result.rows).toBe(Math.floor(length / k));
    }
  });

  it("gradient matches central finite differences where the clamps are not active", () => {
    for (const k of [4, 3]) {
      // Drifted noise (scaled and shifted) puts every term off its clamp.
      const z = Float64Array.from(gaussian(21, k * 60 + 1), (v, i) => 1.4 * v + (i % k === 1 ? 0.3 : 0));
      const options = { seed: 4, permutations: 5, blockSize: k };
      const gradient = new Float64Array(z.length);
      const result = probabilityRegularization(z, { ...options, gradient, gradientScale: 2 });
      expect(result.sequential.meanActive && result.sequential.covActive).toBe(true);
      expect(result.shuffledActiveFraction).toBe(1);
      const h = 1e-6;
      let maxError = 0;
      let maxGradient = 0;
      for (let i = 0; i < z.length; i++) {
        const original = z[i]!;
        z[i] = original + h;
        const plus = probabilityRegularization(z, options).value;
        z[i] = original - h;
        const minus = probabilityRegularization(z, options).value;
        z[i] = original;
        const numeric = (2 * (plus - minus)) / (2 * h);
        maxError = Math.max(maxError, Math.abs(numeric - gradient[i]!));
        maxGradient = Math.max(maxGradient, Math.abs(gradient[i]!));
      }
      expect(maxGradient).toBeGreaterThan(0.01);
      expect(maxError).toBeLessThan(1e-6 * Math.max(1, maxGradient));
      // The ragged tail value fits no sequential row: without permutations its gradient is exactly zero.
      const sequentialGradient = new Float64Array(z.length);
      probabilityRegularization(z, { ...options, permutations: 0, gradient: sequentialGradient });
      expect(sequentialGradient[z.length - 1]).toBe(0);
      expect(sequentialGradient[0]).not.toBe(0);
    }
  });

  // Cross-check with the reference's PyTorch code (torch.randperm, 8 draws of float64 noise, R = 20):
  // typical noise 2.78–3.55 (median ≈ 2.82), the same noise × 1.05: 474–500.
  it("reproduces the issue's numbers: typical noise of D = 835,584 sits near the floor, ×1.05 costs hundreds", () => {
    const length = 835_584;
    const z = gaussian(2024, length);
    const workspace = createProbabilityRegularizationWorkspace(length);
    const gradient = new Float32Array(length);
    const typical = probabilityRegularization(z, { seed: 7, permutations: 20, gradient }, workspace);
    const floor = probabilityRegularizationFloor(20);
    const gradientNorm = norm(gradient);
    const scaled = z.map((v) => v * 1.05);
    const scaledGradient = new Float32Array(length);
    const scaledResult = probabilityRegularization(
      scaled,
      { seed: 7, permutations: 20, gradient: scaledGradient },
      workspace,
    );
    const scaledGradientNorm = norm(scaledGradient);
    console.log(
      `PR typical = ${typical.value.toFixed(4)} (floor ${floor.toFixed(4)}, fired ${typical.fired}, ` +
        `${(100 * typical.shuffledActiveFraction).toFixed(0)} % of permutations active, ‖∇PR‖ = ${gradientNorm.toExponential(3)}, ` +
        `‖z‖ = ${norm(z).toFixed(1)}); ×1.05: PR = ${scaledResult.value.toFixed(1)}, ‖∇PR‖ = ${scaledGradientNorm.toFixed(1)}`,
    );
    expect(typical.value).toBeGreaterThanOrEqual(floor);
    expect(typical.value).toBeLessThan(floor + 0.5);
    // Near-zero gradient: only the few permutations a hair past a clamp contribute — tiny against ‖z‖ ≈ 914
    // and against the gradient of the drifted noise.
    expect(gradientNorm).toBeLessThan(1e-3 * norm(z));
    expect(gradientNorm).toBeLessThan(0.05 * scaledGradientNorm);
    expect(scaledResult.value).toBeGreaterThan(100);
    expect(scaledResult.fired).toBe(true);
  });

  it("seededPermutation draws valid, uniform, seed-determined, independent permutations", () => {
    const counts = new Map<string, number>();
    const out = new Uint32Array(4);
    const draws = 24_000;
    for (let r = 0; r < draws; r++) {
      seededPermutation(12, r, out);
      const key = out.join(",");
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(24);
    // Chi-square with 23 degrees of freedom: the 99.9 % quantile is 49.7.
    let chiSquare = 0;
    for (const count of counts.values()) chiSquare += (count - 1000) ** 2 / 1000;
    expect(chiSquare).toBeLessThan(49.7);
    const big = new Uint32Array(10_001);
    seededPermutation(3, 5, big);
    expect(new Set(big).size).toBe(10_001);
    const again = new Uint32Array(10_001);
    seededPermutation(3, 4, again);
    seededPermutation(3, 5, again);
    expect(Array.from(again)).toEqual(Array.from(big));
  });

  it("is deterministic per seed, and names bad inputs", () => {
    const z = gaussian(1, 4000).map((v) => v * 1.02);
    const first = probabilityRegularization(z, { seed: 3, permutations: 10 });
    expect(probabilityRegularization(z, { seed: 3, permutations: 10 }).value).toBe(first.value);
    expect(() => probabilityRegularization(new Float32Array(3), { seed: 1 })).toThrow(/fewer than one block/);
    expect(() => probabilityRegularization(z, { seed: 1, gradient: new Float32Array(5) })).toThrow(
      /gradient buffer/,
    );
  });
});
