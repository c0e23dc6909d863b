/**
 * Seeded noise for a DDIM run: the initial latent x_T and one noise tensor z_t per step, all standard normal
 * from `gaussian()` (server/models/rng.ts), so the same seeds give the same picture everywhere.
 *
 * Derivation (stable: stored runs depend on it):
 *   x_T of image b            = gaussian(seeds[b], C·h·w)
 *   z of step i (0 = first)   = gaussian(stepNoiseSeed(seeds[b], i), C·h·w)
 *   stepNoiseSeed(seed, i)    = fmix32((seed + (i + 1)·0x9E3779B9) mod 2³²)
 * where fmix32 is MurmurHash3's 32-bit finalizer (a bijection that scatters nearby inputs), so step streams
 * of nearby seeds do not overlap. Batches are concatenated image after image.
 */
import { gaussian } from "./rng";

export function fmix32(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export function stepNoiseSeed(seed: number, stepIndex: number): number {
  return fmix32((seed + Math.imul(stepIndex + 1, 0x9e3779b9)) >>> 0);
}

export interface NoiseTensors {
  /** [batch, C, h, w], image after image. */
  readonly xT: Float32Array;
  /** One [batch, C, h, w] tensor per step, first step first. */
  readonly stepNoises: Float32Array[];
}

export function seededNoise(options: {
  seeds: readonly number[];
  latentSize: number;
  steps: number;
  /** Skip drawing per-step noise (eta = 0 never reads it). */
  withStepNoise?: boolean;
}): NoiseTensors {
  const { seeds, latentSize, steps } = options;
  if (seeds.length === 0) throw new RangeError("seededNoise needs at least one seed");
  const xT = new Float32Array(seeds.length * latentSize);
  for (const [b, seed] of seeds.entries()) xT.set(gaussian(seed, latentSize), b * latentSize);
  const stepNoises: Float32Array[] = [];
  if (options.withStepNoise !== false) {
    for (let i = 0; i < steps; i++) {
      const noise = new Float32Array(seeds.length * latentSize);
      for (const [b, seed] of seeds.entries()) {
        noise.set(gaussian(stepNoiseSeed(seed, i), latentSize), b * latentSize);
      }
      stepNoises.push(noise);
    }
  }
  return { xT, stepNoises };
}
