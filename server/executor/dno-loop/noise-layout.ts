import type { NoiseTensors } from "@/nodes/context";

/** Layout of the optimized variables: z_b = (x_T, and z_t of every step when optimized), image after image. */
export class NoiseLayout {
  constructor(
    readonly latent: number,
    readonly steps: number,
    readonly optimizeSteps: boolean,
    /** The seeded noise: x_T initial values and the per-step noises used when not optimized. */
    readonly seeded: NoiseTensors,
  ) {}

  get perImage(): number {
    return this.latent * (this.optimizeSteps ? 1 + this.steps : 1);
  }

  initial(batch: number): Float32Array[] {
    return Array.from({ length: batch }, (_, b) => {
      const z = new Float32Array(this.perImage);
      z.set(this.seeded.xT.subarray(b * this.latent, (b + 1) * this.latent), 0);
      if (this.optimizeSteps) {
        for (let s = 0; s < this.steps; s++) {
          z.set(
            this.seeded.stepNoises[s]!.subarray(b * this.latent, (b + 1) * this.latent),
            (1 + s) * this.latent,
          );
        }
      }
      return z;
    });
  }

  /** Sampler inputs for a list of noise vectors; `owners[p]` is the batch image whose fixed step noise p uses. */
  assemble(
    zs: readonly Float32Array[],
    owners: readonly number[],
  ): { xT: Float32Array; stepNoises: Float32Array[] } {
    const L = this.latent;
    const xT = new Float32Array(zs.length * L);
    for (const [p, z] of zs.entries()) xT.set(z.subarray(0, L), p * L);
    const stepNoises: Float32Array[] = [];
    for (let s = 0; s < this.steps && this.seeded.stepNoises.length > 0; s++) {
      const noise = new Float32Array(zs.length * L);
      zs.forEach((z, p) => {
        const owner = owners[p]!;
        noise.set(
          this.optimizeSteps
            ? z.subarray((1 + s) * L, (2 + s) * L)
            : this.seeded.stepNoises[s]!.subarray(owner * L, (owner + 1) * L),
          p * L,
        );
      });
      stepNoises.push(noise);
    }
    return { xT, stepNoises };
  }

  /** Per-image gradient vectors from the chain's batched gradients. */
  gather(xT: Float32Array, steps: readonly Float32Array[] | null, index: number, out: Float32Array): void {
    const L = this.latent;
    out.set(xT.subarray(index * L, (index + 1) * L), 0);
    if (this.optimizeSteps) {
      for (let s = 0; s < this.steps; s++)
        out.set(steps![s]!.subarray(index * L, (index + 1) * L), (1 + s) * L);
    }
  }
}
