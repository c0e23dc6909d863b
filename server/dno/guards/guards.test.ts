import { describe, expect, it } from "vitest";
import { gaussian } from "@/server/models/rng";
import { distance, norm } from "../tensor";
import { BestIterateTracker } from "./best-iterate";
import { iterationSeed } from "./guard";
import { KeeperFloorGuard } from "./keeper-floor";
import { NormPriorGuard } from "./norm-prior";
import { PlateauStopGuard } from "./plateau-stop";
import { probabilityRegularization } from "./probability-regularization";
import { ProbabilityRegularizationGuard } from "./probability-regularization-guard";
import { TrustRegionGuard } from "./trust-region";

function finiteDifference(f: (z: Float64Array) => number, z: Float64Array, i: number, h = 1e-6): number {
  const original = z[i]!;
  z[i] = original + h;
  const plus = f(z);
  z[i] = original - h;
  const minus = f(z);
  z[i] = original;
  return (plus - minus) / (2 * h);
}

describe("norm prior (ReNO)", () => {
  it("value by hand, gradient by finite differences, fired only for atypical norms", () => {
    const guard = new NormPriorGuard({ weight: 0.5 });
    const z = Float64Array.from([3, 4]);
    const gradient = new Float64Array(2);
    const report = guard.evaluate(z, 0, gradient);
    // ‖z‖ = 5, d = 2: 0.5·(12.5 − log 5).
    expect(report.value).toBeCloseTo(0.5 * (12.5 - Math.log(5)), 14);
    expect(report.penalty).toBe(report.value);
    const w = Float64Array.from(gaussian(2, 50), (v) => 1.3 * v);
    const g = new Float64Array(50);
    guard.evaluate(w, 0, g);
    for (let i = 0; i < 50; i++) {
      expect(g[i]).toBeCloseTo(
        finiteDifference((x) => guard.evaluate(x, 0).value, w, i),
        6,
      );
    }
    const typical = new NormPriorGuard();
    expect(typical.evaluate(gaussian(3, 10_000), 0).fired).toBe(false);
    expect(
      typical.evaluate(
        gaussian(3, 10_000).map((v) => 1.05 * v),
        0,
      ).fired,
    ).toBe(true);
  });
});

describe("trust region", () => {
  const start = Float64Array.from(gaussian(4, 20));

  it("projects back onto the ball along the same direction and reports the distance", () => {
    const guard = new TrustRegionGuard(start, { radius: 0.5 });
    const z = start.map((v, i) => v + (i === 0 ? 3 : 4) * (i < 2 ? 1 : 0));
    const report = guard.project(z);
    expect(report.value).toBeCloseTo(5, 12);
    expect(report.fired).toBe(true);
    expect(distance(z, start)).toBeCloseTo(0.5, 12);
    expect(z[0]! - start[0]!).toBeCloseTo(0.3, 12);
    expect(z[1]! - start[1]!).toBeCloseTo(0.4, 12);
    const inside = start.map((v) => v + 0.01);
    const before = inside.slice();
    expect(guard.project(inside).fired).toBe(false);
    expect(Array.from(inside)).toEqual(Array.from(before));
  });

  it("penalty mode: weight·(dist − radius)² with a finite-difference-checked gradient", () => {
    const guard = new TrustRegionGuard(start, { radius: 1, mode: "penalty", weight: 3 });
    const z = start.map((v, i) => v + 0.5 * Math.sin(i + 1));
    const dist = distance(z, start);
    expect(dist).toBeGreaterThan(1);
    const gradient = new Float64Array(20);
    const report = guard.evaluate(z, 0, gradient);
    expect(report.penalty).toBeCloseTo(3 * (dist - 1) ** 2, 12);
    for (let i = 0; i < 20; i++) {
      expect(gradient[i]).toBeCloseTo(
        finiteDifference((x) => guard.evaluate(x, 0).penalty ?? 0, z, i),
        6,
      );
    }
    expect(guard.project(z).fired).toBe(false);
  });
});

describe("keeper floor", () => {
  it("penalty mode: weight·(floor − r) below the floor, gradient weight per image", () => {
    const guard = new KeeperFloorGuard({ rewardId: "prompt-faithfulness", floor: -1, weight: 2 });
    const report = guard.evaluate(Float64Array.from([-0.5, -1.5]));
    expect(report.penalty).toBeCloseTo(1, 14);
    expect(report.fired).toBe(true);
    expect(report.stop).toBe(false);
    expect(report.value).toBe(-1.5);
    expect(Array.from(report.rewardGradientWeights)).toEqual([0, 2]);
  });

  it("stop mode asks to stop, with no penalty", () => {
    const guard = new KeeperFloorGuard({ rewardId: "r", floor: 0.5, mode: "stop" });
    expect(guard.evaluate(Float64Array.from([0.6])).stop).toBe(false);
    const report = guard.evaluate(Float64Array.from([0.4]));
    expect(report.stop).toBe(true);
    expect(report.penalty).toBe(0);
  });
});

describe("plateau stop", () => {
  it("stops after `patience` iterations without a gain above minDelta", () => {
    const guard = new PlateauStopGuard({ patience: 2, minDelta: 0.1 });
    const reports = [1, 1.5, 1.55, 1.58, 1.59, 1.7].map((value) => guard.update(value));
    expect(reports.map((r) => r.value)).toEqual([0, 0, 1, 2, 3, 0]);
    expect(reports.map((r) => r.stop)).toEqual([false, false, false, true, true, false]);
  });
});

describe("best iterate", () => {
  it("keeps a copy of the best tensors", () => {
    const tracker = new BestIterateTracker([2]);
    const z = Float32Array.from([1, 2]);
    expect(tracker.offer(0, 0.5, [z]).fired).toBe(true);
    z[0] = 9;
    expect(tracker.offer(1, 0.4, [z]).fired).toBe(false);
    expect(Array.from(tracker.tensors[0]!)).toEqual([1, 2]);
    expect(tracker.iteration).toBe(0);
    expect(tracker.offer(2, 0.7, [z]).value).toBe(0.7);
    expect(Array.from(tracker.tensors[0]!)).toEqual([9, 2]);
  });
});

describe("PR guard", () => {
  it("penalty γ·PR, gradient scaled by γ, fresh reproducible permutations per iteration", () => {
    const z = gaussian(6, 4000).map((v) => 1.1 * v);
    const guard = new ProbabilityRegularizationGuard({ weight: 0.5, permutations: 8, seed: 42 });
    const gradient = new Float32Array(z.length);
    const report = guard.evaluate(z, 3, gradient);
    const direct = new Float32Array(z.length);
    const reference = probabilityRegularization(z, {
      seed: iterationSeed(42, 3),
      permutations: 8,
      gradient: direct,
    });
    expect(report.value).toBe(reference.value);
    expect(report.penalty).toBeCloseTo(0.5 * reference.value, 12);
    expect(norm(gradient)).toBeCloseTo(0.5 * norm(direct), 4);
    expect(guard.evaluate(z, 4).value).not.toBe(report.value);
    expect(new ProbabilityRegularizationGuard({ permutations: 8, seed: 42 }).evaluate(z, 3).value).toBe(
      report.value,
    );
  });
});
