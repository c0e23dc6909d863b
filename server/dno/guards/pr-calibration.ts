/**
 * The calibrated reward-hacking meter (METHOD.md §5): PR's value turned into a percentile of PR under pure
 * Gaussian noise of the same length D and the same PR settings (block size k, shuffles R).
 *
 * Raw PR is not readable on its own: for typical N(0, I) noise some clamp is often off (the sequential
 * mean term alone ~24 % of the time), so PR sits above its floor and a raw "fired" is meaningless. Instead
 * we draw a fixed, seeded set of fresh Gaussian samples, compute their PR with the same code, keep the
 * sorted values, and place a run's PR among them: "62nd percentile" = PR above 62 % of fresh samples.
 *
 * The sorted values are cached per (D, k, R) in memory and, with `cacheDir`, on disk as a small JSON file
 * (a few kB), so the simulation runs once per noise shape and PR setting.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { createRng } from "@/server/models/rng";
import { iterationSeed } from "./guard";
import {
  createProbabilityRegularizationWorkspace,
  DEFAULT_PR_BLOCK_SIZE,
  DEFAULT_PR_PERMUTATIONS,
  probabilityRegularization,
} from "./probability-regularization";

/** Bump when the simulation changes: older cache files are then ignored and rewritten. */
const CALIBRATION_VERSION = 1;
const CALIBRATION_SEED = 0x5eed_c0de;
/** Fresh samples per shape: 400, fewer (never under 200) when D·(R + 1) makes each PR evaluation costly. */
export const MAX_CALIBRATION_DRAWS = 400;
export const MIN_CALIBRATION_DRAWS = 200;
/**
 * Largest D simulated. PR's distribution under N(0, I) barely depends on D once D is large (n·M1² is χ²_k
 * whatever n is, and the covariance term's slack sqrt(k/n) scales with its spread), measured here at R = 20
 * over 300 draws: median 2.83 / 2.84 / 2.83 and 90th percentile 3.18 / 3.28 / 3.28 at D = 4 096 / 16 384 /
 * 65 536. So a larger D (an SD-1.5 run has ≈ 820k) is read against the calibration at this D: seconds once,
 * instead of minutes of simulation before the first iteration.
 */
export const MAX_SIMULATED_DIMENSION = 32_768;
/** Values visited by the simulation (D·(R + 1) per draw) before it drops below MAX_CALIBRATION_DRAWS. */
const VISIT_BUDGET = 4e9;

/** The meter's bands, by percentile: below 90 typical, 90 to below 99 drifting, 99 and above likely hacking. */
export const PR_BAND_DRIFTING_FROM = 90;
export const PR_BAND_HACKING_FROM = 99;
export type PrBand = "typical" | "drifting" | "likely-hacking";

export function prBand(percentile: number): PrBand {
  if (percentile >= PR_BAND_HACKING_FROM) return "likely-hacking";
  if (percentile >= PR_BAND_DRIFTING_FROM) return "drifting";
  return "typical";
}

/** One iteration's meter reading, as stored with the run's metrics. */
export interface PrMeter {
  /** PR's percentile (0–100) among fresh Gaussian samples of the same shape. */
  percentile: number;
  band: PrBand;
  /** The PR value where the drifting band starts (the 90th percentile), for the chart. */
  driftingFrom: number;
  /** The PR value where the guard starts firing (its "Fires at percentile"), for the chart. */
  firesFrom: number;
}

export interface PrCalibrationKey {
  /** D, values of noise PR is computed on. */
  dimension: number;
  blockSize?: number;
  permutations?: number;
}

const calibrationFileSchema = z.object({
  version: z.literal(CALIBRATION_VERSION),
  dimension: z.number().int(),
  blockSize: z.number().int(),
  permutations: z.number().int(),
  seed: z.number().int(),
  /** How long the simulation took, ms (informative). */
  simulationMs: z.number(),
  /** PR of each fresh Gaussian sample, ascending. */
  sorted: z.array(z.number()).min(MIN_CALIBRATION_DRAWS),
});
type CalibrationFile = z.infer<typeof calibrationFileSchema>;

export class PrCalibration {
  readonly dimension: number;
  readonly blockSize: number;
  readonly permutations: number;
  /** PR of the fresh samples, ascending. */
  readonly sorted: readonly number[];
  /** Where it came from: simulated now, the memory cache, or the disk cache. */
  readonly source: "simulated" | "memory" | "disk";
  readonly simulationMs: number;

  constructor(file: CalibrationFile, source: PrCalibration["source"]) {
    this.dimension = file.dimension;
    this.blockSize = file.blockSize;
    this.permutations = file.permutations;
    this.sorted = file.sorted;
    this.source = source;
    this.simulationMs = file.simulationMs;
  }

  /**
   * Percentile (0–100) of a PR value among the fresh samples, mid-rank for ties: 100·(#below + ½·#equal)/N.
   * Non-decreasing in `value`; many samples sit exactly at PR's floor, which then reads as a low percentile.
   */
  percentile(value: number): number {
    const s = this.sorted;
    const below = lowerBound(s, value);
    let equal = 0;
    while (below + equal < s.length && s[below + equal] === value) equal++;
    return (100 * (below + equal / 2)) / s.length;
  }

  /** The smallest PR value whose percentile is ≥ p (Infinity when none is): where the guard starts firing. */
  valueAtPercentile(p: number): number {
    const s = this.sorted;
    for (let i = 0; i < s.length; i++) if (this.percentile(s[i]!) >= p) return s[i]!;
    // Above every sample the percentile is 100.
    return p <= 100 ? nextUp(s[s.length - 1]!) : Number.POSITIVE_INFINITY;
  }
}

/** First index i with sorted[i] ≥ value. */
function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function nextUp(value: number): number {
  return value + Math.max(Math.abs(value) * Number.EPSILON, Number.MIN_VALUE);
}

export function calibrationDraws(dimension: number, permutations: number): number {
  const perDraw = dimension * (permutations + 1);
  return Math.max(MIN_CALIBRATION_DRAWS, Math.min(MAX_CALIBRATION_DRAWS, Math.floor(VISIT_BUDGET / perDraw)));
}

/** The simulation itself (no cache): `draws` fresh N(0, I) samples of length D, their PR values sorted. */
export function simulatePrDistribution(
  key: PrCalibrationKey,
  options: { draws?: number; seed?: number } = {},
): PrCalibration {
  const k = key.blockSize ?? DEFAULT_PR_BLOCK_SIZE;
  const permutations = key.permutations ?? DEFAULT_PR_PERMUTATIONS;
  const seed = options.seed ?? CALIBRATION_SEED;
  const draws = options.draws ?? calibrationDraws(key.dimension, permutations);
  const started = performance.now();
  const z = new Float32Array(key.dimension);
  const workspace = createProbabilityRegularizationWorkspace(key.dimension, k);
  const values: number[] = [];
  for (let d = 0; d < draws; d++) {
    const rng = createRng(iterationSeed(seed, 2 * d));
    for (let i = 0; i < z.length; i++) z[i] = rng.normal();
    const result = probabilityRegularization(
      z,
      { blockSize: k, permutations, seed: iterationSeed(seed, 2 * d + 1) },
      workspace,
    );
    values.push(result.value);
  }
  values.sort((a, b) => a - b);
  return new PrCalibration(
    {
      version: CALIBRATION_VERSION,
      dimension: key.dimension,
      blockSize: k,
      permutations,
      seed,
      simulationMs: Math.round(performance.now() - started),
      sorted: values,
    },
    "simulated",
  );
}

const memory = new Map<string, PrCalibration>();

function cacheName(dimension: number, k: number, permutations: number): string {
  return `pr-D${dimension}-k${k}-R${permutations}.json`;
}

/**
 * The calibration for (D, k, R): from memory, else from `cacheDir` (a file that is missing, unreadable or
 * for another version is ignored), else simulated now and written there. Synchronous: it runs once per
 * shape, before the first iteration's meter reading (about a second for the bundled model's D).
 */
export function prCalibration(key: PrCalibrationKey, options: { cacheDir?: string } = {}): PrCalibration {
  const k = key.blockSize ?? DEFAULT_PR_BLOCK_SIZE;
  const permutations = key.permutations ?? DEFAULT_PR_PERMUTATIONS;
  const dimension = Math.min(key.dimension, MAX_SIMULATED_DIMENSION);
  const name = cacheName(dimension, k, permutations);
  const cached = memory.get(name);
  if (cached) return new PrCalibration(toFile(cached), "memory");
  const file = options.cacheDir ? path.join(options.cacheDir, name) : null;
  if (file) {
    const fromDisk = readCalibrationFile(file, dimension, k, permutations);
    if (fromDisk) {
      memory.set(name, fromDisk);
      return fromDisk;
    }
  }
  const simulated = simulatePrDistribution({ dimension, blockSize: k, permutations });
  memory.set(name, simulated);
  if (file) writeCalibrationFile(file, simulated);
  return simulated;
}

/** Forgets the in-memory cache (tests). */
export function clearPrCalibrationMemory(): void {
  memory.clear();
}

function toFile(calibration: PrCalibration): CalibrationFile {
  return {
    version: CALIBRATION_VERSION,
    dimension: calibration.dimension,
    blockSize: calibration.blockSize,
    permutations: calibration.permutations,
    seed: CALIBRATION_SEED,
    simulationMs: calibration.simulationMs,
    sorted: [...calibration.sorted],
  };
}

function readCalibrationFile(file: string, dimension: number, k: number, permutations: number) {
  try {
    const parsed = calibrationFileSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
    if (!parsed.success) return null;
    const data = parsed.data;
    if (data.dimension !== dimension || data.blockSize !== k || data.permutations !== permutations)
      return null;
    return new PrCalibration(data, "disk");
  } catch {
    return null;
  }
}

function writeCalibrationFile(file: string, calibration: PrCalibration): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    // Write then rename, so that a concurrent reader never sees half a file.
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(toFile(calibration)));
    renameSync(temporary, file);
  } catch {
    // The disk cache is an optimisation: the calibration stays in memory.
  }
}
