import { describe, expect, it } from "vitest";
import { fmix32, seededNoise, stepNoiseSeed } from "./noise";
import { gaussian } from "./rng";

describe("seeded noise", () => {
  it("x_T is gaussian(seed) and step i uses fmix32(seed + (i+1)·0x9E3779B9)", () => {
    const { xT, stepNoises } = seededNoise({ seeds: [42], latentSize: 16, steps: 3 });
    expect(Array.from(xT)).toEqual(Array.from(gaussian(42, 16)));
    expect(stepNoises).toHaveLength(3);
    expect(stepNoiseSeed(42, 0)).toBe(fmix32((42 + 0x9e3779b9) >>> 0));
    expect(Array.from(stepNoises[2]!)).toEqual(Array.from(gaussian(stepNoiseSeed(42, 2), 16)));
  });
  it("fmix32 is MurmurHash3's finalizer (known values)", () => {
    expect(fmix32(0)).toBe(0);
    expect(fmix32(1)).toBe(0x514e28b7);
  });
  it("batches concatenate image after image and streams do not repeat", () => {
    const batch = seededNoise({ seeds: [1, 2], latentSize: 8, steps: 2 });
    expect(Array.from(batch.xT.subarray(8))).toEqual(Array.from(gaussian(2, 8)));
    const seeds = new Set([1, 2, ...[0, 1].flatMap((i) => [stepNoiseSeed(1, i), stepNoiseSeed(2, i)])]);
    expect(seeds.size).toBe(6);
  });
});
