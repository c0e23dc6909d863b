/**
 * Probability regularization (PR) of Tang et al. (DNO, arXiv 2405.18881), exactly as METHOD.md §5:
 * the guard against reward hacking and the "reward-hacking meter" shown at every iteration.
 *
 * z (all optimized noise, flattened, length D) is cut into n = ⌊D/k⌋ rows of k consecutive values
 * (matrix Z, n×k). The last D − n·k values do not fit a whole row and are ignored — the reference code
 * requires D divisible by k; ignoring the tail keeps every D usable and changes nothing when it is.
 *
 *   m = mean of the rows,  M1 = ‖m‖₂,  S = ZᵀZ/n,  M2 = ‖S − I‖₂ (spectral norm)
 *   log p_mean = min(−n·M1²/(2k), −log 2)
 *   δ          = max(sqrt(1 + M2) − 1 − sqrt(k/n), 0)
 *   log p_cov  = min(−n·δ²/2, −log 2)
 *   PR(z) = −[log p_mean + log p_cov](sequential rows) − mean over R permutations π of the same (rows of z∘π)
 *
 * Each bracket is ≤ −2·log 2, so PR ≥ 4·log 2 ≈ 2.77 (the floor) with R > 0. The clamps make PR flat —
 * zero gradient — while z looks like a typical Gaussian sample; `result.fired` means some term left its
 * clamp (which a quarter of fresh samples do: the guard fires on the calibrated meter, ./pr-calibration.ts).
 *
 * Gradient (only terms off their clamp contribute), for row Z_j of a block matrix with weight w:
 *   ∂/∂Z_j [n·M1²/(2k)]                 = m / k
 *   ∂/∂Z_j [n·δ²/2]                      = δ / sqrt(1 + M2) · G Z_j,   G = ∂M2/∂S = sign(λ*) v* v*ᵀ
 * where λ* is the eigenvalue of S − I of largest magnitude and v* its unit eigenvector.
 *
 * Permuted copies are never materialised: rows of z∘π are gathered on the fly through one reused index
 * buffer filled by `seededPermutation` (seeded through `createRng`), and the gradient pass over a permutation runs only when one of its terms is off the clamp.
 */
import { createRng } from "@/server/models/rng";
import type { FloatArray } from "../tensor";
import { iterationSeed } from "./guard";
import { createEigenWorkspace, type SymmetricEigenWorkspace, symmetricEigen } from "./symmetric-eigen";

export const DEFAULT_PR_BLOCK_SIZE = 4;
/** R = 100 in the paper's code. */
export const DEFAULT_PR_PERMUTATIONS = 100;
const LOG2 = Math.log(2);
/** 2^−32: multiplying by it is exact, the same as dividing by 2^32 and cheaper. */
const TWO_TO_MINUS_32 = 1 / 4294967296;

/** The smallest possible PR value: 2·log 2 per set of blocks (sequential, and shuffled when R > 0). */
export function probabilityRegularizationFloor(permutations: number): number {
  return permutations > 0 ? 4 * LOG2 : 2 * LOG2;
}

export interface ProbabilityRegularizationOptions {
  /** k, values per row (default 4). */
  blockSize?: number;
  /** R, random permutations averaged on top of the sequential blocks (default 100). */
  permutations?: number;
  /**
   * Seeds the R permutations (permutation r from `createRng(iterationSeed(seed, r))`). Use a different
   * seed per iteration (the PR guard derives it from the run seed and the iteration number), as the
   * reference draws fresh permutations each time.
   */
  seed: number;
  /** When given, `gradientScale · ∂PR/∂z` is ADDED into it (same length as z). */
  gradient?: FloatArray;
  /** Multiplies the accumulated gradient, e.g. the PR weight γ (default 1). */
  gradientScale?: number;
}

/** The two log-probabilities of one block matrix and the quantities behind them. */
export interface ProbabilityTerms {
  /** ‖m‖₂. */
  m1: number;
  /** ‖S − I‖₂. */
  m2: number;
  logPMean: number;
  logPCov: number;
  /** The mean term is below its clamp (it has a gradient). */
  meanActive: boolean;
  /** The covariance term is below its clamp (it has a gradient). */
  covActive: boolean;
}

export interface ProbabilityRegularizationResult {
  value: number;
  floor: number;
  /** Some term left its clamp: z no longer looks like a typical Gaussian sample. */
  fired: boolean;
  /** −[log p_mean + log p_cov] of the sequential blocks. */
  sequentialPart: number;
  /** Mean over permutations of −[log p_mean + log p_cov] (0 when R = 0). */
  shuffledPart: number;
  sequential: ProbabilityTerms;
  /** Fraction of the R permutations with at least one active term. */
  shuffledActiveFraction: number;
  /** n, rows of k values. */
  rows: number;
  /** D − n·k trailing values that fit no whole row. */
  ignoredValues: number;
}

/** Caller-owned scratch so that repeated evaluations allocate nothing (one per optimized tensor size). */
export interface ProbabilityRegularizationWorkspace {
  readonly length: number;
  readonly blockSize: number;
  readonly permutation: Uint32Array;
  readonly sums: Float64Array;
  readonly gram: Float64Array;
  readonly deviation: Float64Array;
  readonly eigen: SymmetricEigenWorkspace;
  /** Gradient row map: gradient of row Z_j is rowMatrix · Z_j + rowOffset. */
  readonly rowMatrix: Float64Array;
  readonly rowOffset: Float64Array;
}

export function createProbabilityRegularizationWorkspace(
  length: number,
  blockSize: number = DEFAULT_PR_BLOCK_SIZE,
): ProbabilityRegularizationWorkspace {
  checkShape(length, blockSize);
  return {
    length,
    blockSize,
    permutation: new Uint32Array(length),
    sums: new Float64Array(blockSize),
    gram: new Float64Array(blockSize * blockSize),
    deviation: new Float64Array(blockSize * blockSize),
    eigen: createEigenWorkspace(blockSize),
    rowMatrix: new Float64Array(blockSize * blockSize),
    rowOffset: new Float64Array(blockSize),
  };
}

/**
 * PR value (and, with `options.gradient`, its gradient) of z. Pass a workspace created for z's length
 * to avoid allocating a D-sized index buffer per call.
 */
export function probabilityRegularization(
  z: FloatArray,
  options: ProbabilityRegularizationOptions,
  workspace?: ProbabilityRegularizationWorkspace,
): ProbabilityRegularizationResult {
  const k = options.blockSize ?? DEFAULT_PR_BLOCK_SIZE;
  const permutations = options.permutations ?? DEFAULT_PR_PERMUTATIONS;
  if (!Number.isInteger(permutations) || permutations < 0) {
    throw new RangeError(
      `probabilityRegularization: permutations must be an integer ≥ 0, got ${permutations}.`,
    );
  }
  checkShape(z.length, k);
  const gradient = options.gradient;
  if (gradient && gradient.length !== z.length) {
    throw new RangeError(
      `probabilityRegularization: gradient buffer has length ${gradient.length}, z has ${z.length}; allocate it like z.`,
    );
  }
  const gradientScale = options.gradientScale ?? 1;
  const ws =
    workspace && workspace.length === z.length && workspace.blockSize === k
      ? workspace
      : createProbabilityRegularizationWorkspace(z.length, k);
  const n = Math.floor(z.length / k);

  blockStatistics(z, null, n, k, ws.sums, ws.gram);
  const sequential = termsFromStatistics(n, k, ws, gradient !== undefined);
  const sequentialPart = -(sequential.logPMean + sequential.logPCov);
  if (gradient && (sequential.meanActive || sequential.covActive)) {
    accumulateRowGradient(z, null, n, k, ws, gradient, gradientScale);
  }

  let shuffledSum = 0;
  let activePermutations = 0;
  if (permutations > 0) {
    const partial = shuffledProbabilityTerms(
      z,
      {
        seed: options.seed,
        blockSize: k,
        from: 0,
        to: permutations,
        gradient,
        gradientScale: gradientScale / permutations,
      },
      ws,
    );
    shuffledSum = partial.sum;
    activePermutations = partial.active;
  }
  const shuffledPart = permutations > 0 ? shuffledSum / permutations : 0;
  return {
    value: sequentialPart + shuffledPart,
    floor: probabilityRegularizationFloor(permutations),
    fired: sequential.meanActive || sequential.covActive || activePermutations > 0,
    sequentialPart,
    shuffledPart,
    sequential,
    shuffledActiveFraction: permutations > 0 ? activePermutations / permutations : 0,
    rows: n,
    ignoredValues: z.length - n * k,
  };
}

/**
 * The shuffled half of PR for permutations from ≤ r < to: Σ_r −[log p_mean + log p_cov](z∘π_r) and how
 * many of them had an active term; with `gradient`, gradientScale·∂/∂z of that sum is ADDED into it.
 * Permutations are independent (see `seededPermutation`), so ranges can be computed anywhere — this is
 * what the worker pool (./probability-regularization-pool.ts) runs per chunk.
 */
export function shuffledProbabilityTerms(
  z: FloatArray,
  options: {
    seed: number;
    blockSize?: number;
    from: number;
    to: number;
    gradient?: FloatArray;
    gradientScale?: number;
  },
  workspace?: ProbabilityRegularizationWorkspace,
): { sum: number; active: number } {
  const k = options.blockSize ?? DEFAULT_PR_BLOCK_SIZE;
  checkShape(z.length, k);
  const { gradient } = options;
  const scale = options.gradientScale ?? 1;
  const ws =
    workspace && workspace.length === z.length && workspace.blockSize === k
      ? workspace
      : createProbabilityRegularizationWorkspace(z.length, k);
  const n = Math.floor(z.length / k);
  let sum = 0;
  let active = 0;
  for (let r = options.from; r < options.to; r++) {
    seededPermutation(options.seed, r, ws.permutation);
    blockStatistics(z, ws.permutation, n, k, ws.sums, ws.gram);
    const terms = termsFromStatistics(n, k, ws, gradient !== undefined);
    sum += -(terms.logPMean + terms.logPCov);
    if (terms.meanActive || terms.covActive) {
      active++;
      if (gradient) accumulateRowGradient(z, ws.permutation, n, k, ws, gradient, scale);
    }
  }
  return { sum, active };
}

/**
 * Permutation number `index` (0-based) of the set seeded by `seed`, written into `out`.
 *
 * Drawing ~10^6 indices through the closure-based `Rng` costs ~30 ns each (80 % of PR's time), so the
 * same xoshiro128** generator runs inline on local state here, seeded by four 32-bit words drawn from
 * `createRng(iterationSeed(seed, index))`. Each permutation is independent of the others, so any
 * subset of the R permutations (e.g. on worker threads) gives identical results.
 * (Accumulating the row statistics inside the shuffle loop was tried: V8 then boxes the accumulators
 * and it ran 3× slower than a separate gather pass.)
 */
export function seededPermutation(seed: number, index: number, out: Uint32Array): void {
  const rng = createRng(iterationSeed(seed, index));
  const word = (): number => rng.int(4294967296) | 0;
  let s0 = word();
  let s1 = word();
  let s2 = word();
  let s3 = word();
  // xoshiro's state must not be all zero.
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
  const n = out.length;
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    // xoshiro128** step (as in server/models/rng.ts), inlined.
    const product = Math.imul(s1, 5);
    const result = Math.imul((product << 7) | (product >>> 25), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    // Multiply-shift maps the 32-bit word to [0, i] (as Rng.int); exact in doubles since (i + 1)·2^32 < 2^53.
    const j = Math.floor(result * (i + 1) * TWO_TO_MINUS_32);
    const tmp = out[i]!;
    out[i] = out[j]!;
    out[j] = tmp;
  }
}

function checkShape(length: number, k: number): void {
  if (!Number.isInteger(k) || k < 1) {
    throw new RangeError(`probabilityRegularization: blockSize must be a positive integer, got ${k}.`);
  }
  if (length < k) {
    throw new RangeError(
      `probabilityRegularization: z has ${length} values, fewer than one block of ${k}; optimize more noise or lower blockSize.`,
    );
  }
}

/** Column sums Σ_j Z_j and the Gram matrix Σ_j Z_j Z_jᵀ (upper triangle) of the rows, in float64. */
function blockStatistics(
  z: FloatArray,
  perm: Uint32Array | null,
  n: number,
  k: number,
  sums: Float64Array,
  gram: Float64Array,
): void {
  if (k === 4) {
    blockStatistics4(z, perm, n, sums, gram);
    return;
  }
  sums.fill(0);
  gram.fill(0);
  for (let j = 0; j < n; j++) {
    const base = j * k;
    for (let a = 0; a < k; a++) {
      const za = perm ? z[perm[base + a]!]! : z[base + a]!;
      sums[a] = sums[a]! + za;
      for (let b = a; b < k; b++) {
        const zb = perm ? z[perm[base + b]!]! : z[base + b]!;
        gram[a * k + b] = gram[a * k + b]! + za * zb;
      }
    }
  }
}

/**
 * k = 4 (the default, and the hot path for D ≈ 10^6): unrolled into scalar accumulators, with the
 * gathered (permuted) and the sequential loop kept apart so that neither carries a branch.
 */
function blockStatistics4(
  z: FloatArray,
  perm: Uint32Array | null,
  n: number,
  sums: Float64Array,
  gram: Float64Array,
): void {
  const stats = perm ? gatheredStatistics4(z, perm, n * 4) : sequentialStatistics4(z, n * 4);
  sums[0] = stats[0];
  sums[1] = stats[1];
  sums[2] = stats[2];
  sums[3] = stats[3];
  gram[0] = stats[4];
  gram[1] = stats[5];
  gram[2] = stats[6];
  gram[3] = stats[7];
  gram[5] = stats[8];
  gram[6] = stats[9];
  gram[7] = stats[10];
  gram[10] = stats[11];
  gram[11] = stats[12];
  gram[15] = stats[13];
}

type Statistics4 = [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
];

function gatheredStatistics4(z: FloatArray, perm: Uint32Array, end: number): Statistics4 {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let g00 = 0;
  let g01 = 0;
  let g02 = 0;
  let g03 = 0;
  let g11 = 0;
  let g12 = 0;
  let g13 = 0;
  let g22 = 0;
  let g23 = 0;
  let g33 = 0;
  for (let i = 0; i < end; i += 4) {
    const a = z[perm[i]!]!;
    const b = z[perm[i + 1]!]!;
    const c = z[perm[i + 2]!]!;
    const d = z[perm[i + 3]!]!;
    s0 += a;
    s1 += b;
    s2 += c;
    s3 += d;
    g00 += a * a;
    g01 += a * b;
    g02 += a * c;
    g03 += a * d;
    g11 += b * b;
    g12 += b * c;
    g13 += b * d;
    g22 += c * c;
    g23 += c * d;
    g33 += d * d;
  }
  return [s0, s1, s2, s3, g00, g01, g02, g03, g11, g12, g13, g22, g23, g33];
}

function sequentialStatistics4(z: FloatArray, end: number): Statistics4 {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let g00 = 0;
  let g01 = 0;
  let g02 = 0;
  let g03 = 0;
  let g11 = 0;
  let g12 = 0;
  let g13 = 0;
  let g22 = 0;
  let g23 = 0;
  let g33 = 0;
  for (let i = 0; i < end; i += 4) {
    const a = z[i]!;
    const b = z[i + 1]!;
    const c = z[i + 2]!;
    const d = z[i + 3]!;
    s0 += a;
    s1 += b;
    s2 += c;
    s3 += d;
    g00 += a * a;
    g01 += a * b;
    g02 += a * c;
    g03 += a * d;
    g11 += b * b;
    g12 += b * c;
    g13 += b * d;
    g22 += c * c;
    g23 += c * d;
    g33 += d * d;
  }
  return [s0, s1, s2, s3, g00, g01, g02, g03, g11, g12, g13, g22, g23, g33];
}

/**
 * The two clamped log-probabilities from the statistics in ws.sums / ws.gram; when `withGradient`,
 * also fills ws.rowMatrix / ws.rowOffset so that ∂(−log p_mean − log p_cov)/∂Z_j = rowMatrix·Z_j + rowOffset.
 */
function termsFromStatistics(
  n: number,
  k: number,
  ws: ProbabilityRegularizationWorkspace,
  withGradient: boolean,
): ProbabilityTerms {
  const { sums, gram, deviation, eigen, rowMatrix, rowOffset } = ws;
  let m1Squared = 0;
  for (let a = 0; a < k; a++) {
    const mean = sums[a]! / n;
    m1Squared += mean * mean;
  }
  for (let a = 0; a < k; a++) {
    for (let b = a; b < k; b++) {
      const value = gram[a * k + b]! / n - (a === b ? 1 : 0);
      deviation[a * k + b] = value;
      deviation[b * k + a] = value;
    }
  }
  symmetricEigen(deviation, eigen);
  let top = 0;
  for (let a = 1; a < k; a++) if (Math.abs(eigen.values[a]!) > Math.abs(eigen.values[top]!)) top = a;
  const topValue = eigen.values[top]!;
  const m2 = Math.abs(topValue);

  const rawLogPMean = (-n * m1Squared) / (2 * k);
  const meanActive = rawLogPMean < -LOG2;
  const sqrtOnePlusM2 = Math.sqrt(1 + m2);
  const delta = Math.max(sqrtOnePlusM2 - 1 - Math.sqrt(k / n), 0);
  const rawLogPCov = (-n * delta * delta) / 2;
  const covActive = rawLogPCov < -LOG2;

  if (withGradient) {
    const meanCoefficient = meanActive ? 1 / (k * n) : 0;
    for (let a = 0; a < k; a++) rowOffset[a] = meanCoefficient * sums[a]!;
    const covCoefficient = covActive ? (Math.sign(topValue) * delta) / sqrtOnePlusM2 : 0;
    for (let a = 0; a < k; a++) {
      const va = eigen.vectors[a * k + top]!;
      for (let b = 0; b < k; b++) rowMatrix[a * k + b] = covCoefficient * va * eigen.vectors[b * k + top]!;
    }
  }
  return {
    m1: Math.sqrt(m1Squared),
    m2,
    logPMean: meanActive ? rawLogPMean : -LOG2,
    logPCov: covActive ? rawLogPCov : -LOG2,
    meanActive,
    covActive,
  };
}

/** gradient[index of Z_j,a] += scale · (rowMatrix · Z_j + rowOffset)_a for every row. */
function accumulateRowGradient(
  z: FloatArray,
  perm: Uint32Array | null,
  n: number,
  k: number,
  ws: ProbabilityRegularizationWorkspace,
  gradient: FloatArray,
  scale: number,
): void {
  const { rowMatrix: A, rowOffset: offset } = ws;
  if (k === 4) {
    const a00 = scale * A[0]!;
    const a01 = scale * A[1]!;
    const a02 = scale * A[2]!;
    const a03 = scale * A[3]!;
    const a11 = scale * A[5]!;
    const a12 = scale * A[6]!;
    const a13 = scale * A[7]!;
    const a22 = scale * A[10]!;
    const a23 = scale * A[11]!;
    const a33 = scale * A[15]!;
    const b0 = scale * offset[0]!;
    const b1 = scale * offset[1]!;
    const b2 = scale * offset[2]!;
    const b3 = scale * offset[3]!;
    const end = n * 4;
    for (let i = 0; i < end; i += 4) {
      const i0 = perm ? perm[i]! : i;
      const i1 = perm ? perm[i + 1]! : i + 1;
      const i2 = perm ? perm[i + 2]! : i + 2;
      const i3 = perm ? perm[i + 3]! : i + 3;
      const x0 = z[i0]!;
      const x1 = z[i1]!;
      const x2 = z[i2]!;
      const x3 = z[i3]!;
      gradient[i0] = gradient[i0]! + a00 * x0 + a01 * x1 + a02 * x2 + a03 * x3 + b0;
      gradient[i1] = gradient[i1]! + a01 * x0 + a11 * x1 + a12 * x2 + a13 * x3 + b1;
      gradient[i2] = gradient[i2]! + a02 * x0 + a12 * x1 + a22 * x2 + a23 * x3 + b2;
      gradient[i3] = gradient[i3]! + a03 * x0 + a13 * x1 + a23 * x2 + a33 * x3 + b3;
    }
    return;
  }
  for (let j = 0; j < n; j++) {
    const base = j * k;
    for (let a = 0; a < k; a++) {
      let sum = offset[a]!;
      for (let b = 0; b < k; b++) {
        const zb = perm ? z[perm[base + b]!]! : z[base + b]!;
        sum += A[a * k + b]! * zb;
      }
      const index = perm ? perm[base + a]! : base + a;
      gradient[index] = gradient[index]! + scale * sum;
    }
  }
}
