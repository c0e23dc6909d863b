import { describe, expect, it } from "vitest";
import { gaussian } from "@/server/models/rng";
import { Adam } from "../optimizers/adam";
import { cosineSimilarity } from "../tensor";
import type { DifferentiableGenerator } from "./estimator";
import { hybridEstimate } from "./hybrid";
import { zerothOrderEstimate } from "./zeroth-order";

/**
 * Analytic toy generator: image x = A·z (A: m×D, a linear "decoder"), reward ℓ(x) = −‖x − t‖².
 * True gradient: ∇_z ℓ(Az) = −2·Aᵀ(Az − t); exact VJP: Aᵀ·c.
 */
function linearProblem(d: number, m: number, seed: number) {
  const a = gaussian(seed, m * d).map((v) => v / Math.sqrt(d));
  const target = gaussian(seed + 1, m);
  let forwardCalls = 0;
  const forward = (z: Float32Array): Float32Array => {
    forwardCalls++;
    const x = new Float32Array(m);
    for (let r = 0; r < m; r++) {
      let sum = 0;
      for (let c = 0; c < d; c++) sum += a[r * d + c]! * z[c]!;
      x[r] = sum;
    }
    return x;
  };
  const vjp = (_z: Float32Array, cotangent: Float32Array): Float32Array => {
    const g = new Float32Array(d);
    for (let r = 0; r < m; r++) for (let c = 0; c < d; c++) g[c] = g[c]! + a[r * d + c]! * cotangent[r]!;
    return g;
  };
  const reward = (x: Float32Array): number => {
    let sum = 0;
    for (let r = 0; r < m; r++) sum += (x[r]! - target[r]!) ** 2;
    return -sum;
  };
  const trueGradient = (z: Float32Array): Float32Array => {
    const x = forward(z);
    forwardCalls--;
    const residual = x.map((v, r) => -2 * (v - target[r]!));
    return vjp(z, residual);
  };
  const generator: DifferentiableGenerator = { forward, vjp, reward };
  return { generator, trueGradient, calls: () => forwardCalls };
}

async function optimize(
  kind: "zeroth-order" | "hybrid",
  problem: ReturnType<typeof linearProblem>,
  z: Float32Array,
  iterations: number,
  perturbations: number,
  learningRate: number,
  target?: number,
): Promise<{ first: number; last: number; passes: number; reachedAt: number | null }> {
  const adam = new Adam([z.length], { learningRate });
  let first = Number.NaN;
  let last = Number.NaN;
  let passes = 0;
  let reachedAt: number | null = null;
  for (let iteration = 0; iteration < iterations; iteration++) {
    const estimate =
      kind === "hybrid"
        ? await hybridEstimate(problem.generator, z, { seed: 5, iteration, perturbations, smoothing: 0.01 })
        : await zerothOrderEstimate(problem.generator, z, {
            seed: 5,
            iteration,
            perturbations,
            smoothing: 0.01,
          });
    passes += estimate.forwardPasses;
    if (iteration === 0) first = estimate.reward;
    last = estimate.reward;
    if (target !== undefined && reachedAt === null && estimate.reward >= target) reachedAt = passes;
    // Optimizers minimize: hand them −(reward gradient).
    adam.step([z], [estimate.gradient.map((g) => -g)]);
  }
  return { first, last, passes, reachedAt };
}

describe("estimators on an analytic problem (linear generator, quadratic reward)", () => {
  it("zeroth-order: forward and antithetic estimates point along the true gradient", async () => {
    const problem = linearProblem(30, 12, 1);
    const z = gaussian(3, 30);
    const truth = problem.trueGradient(z);
    const cosines: number[] = [];
    for (const antithetic of [false, true]) {
      for (const seed of [1, 2, 3]) {
        const estimate = await zerothOrderEstimate(problem.generator, z, {
          seed,
          iteration: 0,
          perturbations: 60,
          smoothing: 1e-3,
          antithetic,
        });
        expect(estimate.forwardPasses).toBe(antithetic ? 121 : 61);
        cosines.push(cosineSimilarity(estimate.gradient, truth));
      }
    }
    console.log(
      `ZO cosine with the true gradient (forward ×3, antithetic ×3): ${cosines.map((c) => c.toFixed(3)).join(", ")}`,
    );
    // For q = 60 random directions in D = 30 the expected cosine is about sqrt(q/(q + D + 1)) ≈ 0.81.
    for (const cosine of cosines) expect(cosine).toBeGreaterThan(0.6);
  });

  it("hybrid: the image-space estimate through the exact VJP points along the true gradient", async () => {
    const problem = linearProblem(200, 10, 2);
    const z = gaussian(4, 200);
    const truth = problem.trueGradient(z);
    const cosines: number[] = [];
    for (const seed of [1, 2, 3]) {
      const estimate = await hybridEstimate(problem.generator, z, { seed, iteration: 0, perturbations: 8 });
      expect(estimate.forwardPasses).toBe(9);
      expect(estimate.vjpPasses).toBe(1);
      let norm = 0;
      for (const v of estimate.imageDirection) norm += v * v;
      expect(Math.sqrt(norm)).toBeCloseTo(1, 5);
      cosines.push(cosineSimilarity(estimate.gradient, truth));
    }
    console.log(
      `hybrid cosine with the true gradient (D = 200, q = 8): ${cosines.map((c) => c.toFixed(3)).join(", ")}`,
    );
    // A random direction in D = 200 has |cosine| ≈ 0.07; q = 8 probes of the 10-dim image space give ≈ 0.6–0.75.
    for (const cosine of cosines) expect(cosine).toBeGreaterThan(0.5);
    // With the image supplied, the unperturbed forward is not repeated.
    const image = problem.generator.forward(z) as Float32Array;
    const reused = await hybridEstimate(problem.generator, z, {
      seed: 1,
      iteration: 0,
      perturbations: 8,
      image,
    });
    expect(reused.forwardPasses).toBe(8);
  });

  it("both raise the reward over iterations with Adam; hybrid needs fewer forward passes to reach a target", async () => {
    const zo = linearProblem(200, 10, 7);
    const hybrid = linearProblem(200, 10, 7);
    const start = gaussian(8, 200);
    const initial = zo.generator.reward(zo.generator.forward(start) as Float32Array) as number;
    const target = initial / 4;
    const zoRun = await optimize("zeroth-order", zo, start.slice(), 150, 4, 0.05, target);
    const hybridRun = await optimize("hybrid", hybrid, start.slice(), 150, 4, 0.05, target);
    console.log(
      `reward ${initial.toFixed(2)} → ZO ${zoRun.last.toFixed(2)} (target ${target.toFixed(2)} after ${zoRun.reachedAt ?? "never"} passes), ` +
        `hybrid ${hybridRun.last.toFixed(2)} (after ${hybridRun.reachedAt ?? "never"} passes)`,
    );
    expect(zoRun.last).toBeGreaterThan(zoRun.first + 0.3 * Math.abs(zoRun.first));
    expect(hybridRun.last).toBeGreaterThan(hybridRun.first + 0.5 * Math.abs(hybridRun.first));
    expect(hybridRun.reachedAt).not.toBeNull();
    expect(hybridRun.reachedAt!).toBeLessThan(zoRun.reachedAt ?? Number.POSITIVE_INFINITY);
  });

  it("uses forwardMany when given, is reproducible per seed, and rejects bad options", async () => {
    const problem = linearProblem(10, 4, 3);
    let batches = 0;
    const batched = {
      ...problem.generator,
      forwardMany: (zs: readonly Float32Array[]) => {
        batches++;
        return zs.map((z) => problem.generator.forward(z) as Float32Array);
      },
    };
    const z = gaussian(1, 10);
    const a = await zerothOrderEstimate(batched, z, { seed: 9, iteration: 2 });
    const b = await zerothOrderEstimate(problem.generator, z, { seed: 9, iteration: 2 });
    expect(batches).toBe(1);
    expect(Array.from(a.gradient)).toEqual(Array.from(b.gradient));
    await expect(
      zerothOrderEstimate(problem.generator, z, { seed: 1, iteration: 0, smoothing: 0 }),
    ).rejects.toThrow(/smoothing/);
  });
});
