/**
 * Seeded pseudo-random numbers shared by everything that must be reproducible from a seed
 * (initial noise, per-step noise, PR permutations, zeroth-order perturbations).
 *
 * xoshiro128** seeded through splitmix32: fast, 32-bit state words that JavaScript handles exactly,
 * and identical on every platform, so the same seed gives the same noise everywhere.
 */
export interface Rng {
  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal (Box–Muller, both values of each pair used). */
  normal(): number;
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export function createRng(seed: number): Rng {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`Seed must be an integer in [0, 4294967295], got ${seed}`);
  }
  const init = splitmix32(seed);
  let s0 = init();
  let s1 = init();
  let s2 = init();
  let s3 = init();
  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s2 = (s2 ^ s0) >>> 0;
    s3 = (s3 ^ s1) >>> 0;
    s1 = (s1 ^ s2) >>> 0;
    s0 = (s0 ^ s3) >>> 0;
    s2 = (s2 ^ t) >>> 0;
    s3 = rotl(s3, 11);
    return result;
  };
  let spareNormal: number | null = null;
  const uniform = (): number => nextU32() / 4294967296;
  return {
    uniform,
    int: (n: number) => Math.floor(uniform() * n),
    normal: () => {
      if (spareNormal !== null) {
        const value = spareNormal;
        spareNormal = null;
        return value;
      }
      // 1 - u keeps the log argument in (0, 1].
      const u1 = 1 - uniform();
      const u2 = uniform();
      const radius = Math.sqrt(-2 * Math.log(u1));
      spareNormal = radius * Math.sin(2 * Math.PI * u2);
      return radius * Math.cos(2 * Math.PI * u2);
    },
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A tensor of `length` standard-normal float32 values drawn from `seed`. */
export function gaussian(seed: number, length: number): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.normal();
  return out;
}

/** Fisher–Yates permutation of 0..n-1. */
export function permutation(rng: Rng, n: number): Uint32Array {
  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = tmp;
  }
  return perm;
}
