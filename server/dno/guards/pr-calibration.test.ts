/**
 * The calibrated reward-hacking meter: PR's percentile among fresh Gaussian samples of the same shape,
 * its cache, and the PR guard firing on a percentile instead of "a term left its clamp".
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { createRng } from "@/server/models/rng";
import { iterationSeed } from "./guard";
import {
  clearPrCalibrationMemory,
  MAX_SIMULATED_DIMENSION,
  PrCalibration,
  prBand,
  prCalibration,
  simulatePrDistribution,
} from "./pr-calibration";
import { probabilityRegularization } from "./probability-regularization";
import { ProbabilityRegularizationGuard } from "./probability-regularization-guard";

function gaussian(seed: number, length: number, scale = 1): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length }, () => scale * rng.normal());
}

beforeEach(() => clearPrCalibrationMemory());

describe("PR calibration", () => {
  it("puts about 1 % of fresh Gaussian samples at or above the 99th percentile, about 10 % above the 90th", () => {
    const shape = { dimension: 1024, blockSize: 4, permutations: 10 };
    const calibration = simulatePrDistribution(shape, { draws: 1000 });
    expect(calibration.sorted).toHaveLength(1000);
    // Fresh draws from other seeds (fixed, so the counts are deterministic). With 1000 calibration samples the
    // true tail mass beyond the empirical 99th percentile is itself uncertain (sd ≈ 0.3 %), hence the margins.
    const fresh = 3000;
    let above99 = 0;
    let above90 = 0;
    for (let d = 0; d < fresh; d++) {
      const z = gaussian(iterationSeed(1234, d), shape.dimension);
      const pr = probabilityRegularization(z, { ...shape, seed: iterationSeed(5678, d) }).value;
      const p = calibration.percentile(pr);
      if (p >= 99) above99++;
      if (p >= 90) above90++;
    }
    console.log(`fresh draws: ${above99}/${fresh} at ≥ 99th percentile, ${above90}/${fresh} at ≥ 90th`);
    expect(above99 / fresh).toBeGreaterThan(0.003);
    expect(above99 / fresh).toBeLessThan(0.02);
    expect(above90 / fresh).toBeGreaterThan(0.06);
    expect(above90 / fresh).toBeLessThan(0.14);
  });

  it("percentile is non-decreasing in PR, 0 below every sample and 100 above; thresholds match it", () => {
    const calibration = new PrCalibration(
      {
        version: 1,
        dimension: 8,
        blockSize: 4,
        permutations: 0,
        seed: 1,
        simulationMs: 0,
        sorted: Array.from({ length: 200 }, (_, i) => 2 + Math.floor(i / 2) / 100),
      },
      "simulated",
    );
    expect(calibration.percentile(1)).toBe(0);
    expect(calibration.percentile(10)).toBe(100);
    // Ties count half: the two samples equal to 2 sit at the 0.5th percentile.
    expect(calibration.percentile(2)).toBeCloseTo(0.5, 12);
    let previous = -1;
    for (let value = 1.9; value < 3.1; value += 0.0013) {
      const p = calibration.percentile(value);
      expect(p).toBeGreaterThanOrEqual(previous);
      previous = p;
    }
    for (const p of [50, 90, 99, 100]) {
      const from = calibration.valueAtPercentile(p);
      expect(calibration.percentile(from)).toBeGreaterThanOrEqual(p);
      const below = calibration.sorted.filter((v) => v < from).at(-1);
      if (below !== undefined) expect(calibration.percentile(below)).toBeLessThan(p);
    }
    expect([prBand(62), prBand(90), prBand(98.9), prBand(99), prBand(100)]).toEqual([
      "typical",
      "drifting",
      "drifting",
      "likely-hacking",
      "likely-hacking",
    ]);
  });

  it("is simulated once per shape: memory, then the disk cache; a corrupt file is simulated again", () => {
    const cacheDir = mkdtempSync(path.join(tmpdir(), "pr-calibration-"));
    const shape = { dimension: 512, blockSize: 4, permutations: 2 };
    const first = prCalibration(shape, { cacheDir });
    expect(first.source).toBe("simulated");
    const file = path.join(cacheDir, "pr-D512-k4-R2.json");
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, "utf8").length).toBeLessThan(20_000);
    const again = prCalibration(shape, { cacheDir });
    expect(again.source).toBe("memory");
    expect(again.sorted).toEqual(first.sorted);
    clearPrCalibrationMemory();
    const fromDisk = prCalibration(shape, { cacheDir });
    expect(fromDisk.source).toBe("disk");
    expect(fromDisk.sorted).toEqual(first.sorted);
    // Another shape is another entry.
    expect(prCalibration({ ...shape, permutations: 3 }, { cacheDir }).source).toBe("simulated");
    clearPrCalibrationMemory();
    writeFileSync(file, "{ not json");
    const rebuilt = prCalibration(shape, { cacheDir });
    expect(rebuilt.source).toBe("simulated");
    expect(rebuilt.sorted).toEqual(first.sorted);
  });

  it("reads a noise larger than MAX_SIMULATED_DIMENSION against the calibration at that size", () => {
    const cacheDir = mkdtempSync(path.join(tmpdir(), "pr-cal-cap-"));
    const capped = prCalibration({ dimension: 4 * MAX_SIMULATED_DIMENSION, permutations: 1 }, { cacheDir });
    expect(capped.dimension).toBe(MAX_SIMULATED_DIMENSION);
    const same = prCalibration({ dimension: 2 * MAX_SIMULATED_DIMENSION, permutations: 1 }, { cacheDir });
    expect(same.source).toBe("memory");
    expect(same.sorted).toEqual(capped.sorted);
  });
});

describe("PR guard on the calibrated meter", () => {
  // The bundled model's noise: x_T and 10 step noises of 4×8×8 latents.
  const dimension = 11 * 4 * 8 * 8;

  it("a typical sample does not fire although its mean term is off the clamp; scaled by 1.15 it fires", () => {
    // Find a fresh Gaussian sample whose raw PR has a term off its clamp (what used to "fire").
    let seed = 100;
    let z = gaussian(seed, dimension);
    while (!probabilityRegularization(z, { seed: 0, permutations: 20 }).sequential.meanActive) {
      z = gaussian(++seed, dimension);
    }
    const guard = new ProbabilityRegularizationGuard({ seed: 7, permutations: 20 });
    const typical = guard.evaluate(z, 0);
    console.log(`typical sample: PR ${typical.value.toFixed(3)}, ${typical.detail!.percentile}th percentile`);
    expect(typical.detail!.termsActive).toBe(1);
    expect(typical.detail!.percentile).toBeLessThan(99);
    expect(typical.fired).toBe(false);
    // The penalty is still the paper's γ·PR.
    expect(typical.penalty).toBe(typical.value);

    // PR's covariance term allows sqrt(k/n) of slack (7.5 % at this D), so a 5 % scaling is invisible here;
    // 15 % is not. At larger D, 5 % is enough (next test).
    const drifted = guard.evaluate(
      z.map((v) => 1.15 * v),
      1,
    );
    console.log(`× 1.15: PR ${drifted.value.toFixed(3)}, ${drifted.detail!.percentile}th percentile`);
    expect(drifted.detail!.percentile).toBeGreaterThanOrEqual(99);
    expect(drifted.detail!.band).toBe(2);
    expect(drifted.fired).toBe(true);
    expect(drifted.detail!.firesFrom).toBeLessThanOrEqual(drifted.value);
  });

  it("at a larger noise (D = 65 536) 5 % scaling fires", () => {
    const large = 65_536;
    const guard = new ProbabilityRegularizationGuard({ seed: 7, permutations: 2 });
    const z = gaussian(9, large);
    const typical = guard.evaluate(z, 0);
    const drifted = guard.evaluate(
      z.map((v) => 1.05 * v),
      1,
    );
    console.log(
      `D = ${large}: typical ${typical.detail!.percentile}th, × 1.05 ${drifted.detail!.percentile}th percentile`,
    );
    expect(typical.fired).toBe(false);
    expect(drifted.fired).toBe(true);
  });

  it("fires from the percentile the user chose", () => {
    const z = gaussian(3, dimension);
    const strict = new ProbabilityRegularizationGuard({ seed: 7, permutations: 20, firesAtPercentile: 100 });
    const lax = new ProbabilityRegularizationGuard({ seed: 7, permutations: 20, firesAtPercentile: 0 });
    expect(strict.evaluate(z, 0).fired).toBe(false);
    expect(lax.evaluate(z, 0).fired).toBe(true);
    expect(() => new ProbabilityRegularizationGuard({ seed: 7, firesAtPercentile: 101 })).toThrow(
      /Fires at percentile/,
    );
  });
});
