import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { ImageBatch } from "@/server/dno/rewards/reward";
import { createRng } from "@/server/models/rng";
import {
  bicubicAntialiasTaps,
  CLIP_SIZE,
  clipGeometry,
  clipPreprocess,
  clipPreprocessAdjoint,
} from "./clip-preprocess";

interface FixtureCase {
  height: number;
  width: number;
  resized: [number, number];
  crop: [number, number];
  sum: number;
  sum_sq: number;
  indices: number[];
  values: number[];
}

/** Written by models/sd_arch/clip_preprocess.py (torch antialiased bicubic, checked against PIL's). */
const fixture = JSON.parse(
  readFileSync(path.join(process.cwd(), "models/sd_arch/tiny/clip-preprocess.json"), "utf8"),
) as { cases: FixtureCase[] };

/** The fixture's picture: the same formula as clip_preprocess.py's `picture`, rounded to float32. */
function picture(height: number, width: number): ImageBatch {
  const data = new Float32Array(3 * height * width);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        data[(c * height + y) * width + x] =
          0.6 * Math.sin(0.37 * y + 1.1 * c) * Math.cos(0.23 * x) + 0.3 * Math.sin(1.7 * x + 0.9 * y + c);
  return { data, batch: 1, channels: 3, height, width };
}

describe("CLIP preprocessing", () => {
  it("matches PyTorch's antialiased bicubic resize, center crop and CLIP normalization", () => {
    expect(fixture.cases.length).toBe(4);
    for (const reference of fixture.cases) {
      const { height, width } = reference;
      const geometry = clipGeometry(height, width);
      expect([geometry.resizedHeight, geometry.resizedWidth]).toEqual(reference.resized);
      expect([geometry.top, geometry.left]).toEqual(reference.crop);
      const out = clipPreprocess(picture(height, width));
      expect(out.length).toBe(3 * CLIP_SIZE * CLIP_SIZE);
      let worst = 0;
      reference.indices.forEach((index, i) => {
        worst = Math.max(worst, Math.abs(out[index]! - reference.values[i]!));
      });
      expect(worst, `${height}×${width}`).toBeLessThan(2e-5);
      let sum = 0;
      let sumSq = 0;
      for (const v of out) {
        sum += v;
        sumSq += v * v;
      }
      expect(Math.abs(sum - reference.sum) / out.length).toBeLessThan(1e-5);
      expect(Math.abs(sumSq - reference.sum_sq) / reference.sum_sq).toBeLessThan(1e-5);
    }
  });

  it("keeps every weight row summing to 1 and antialiases when shrinking (wider support)", () => {
    const down = bicubicAntialiasTaps(512, 224);
    const up = bicubicAntialiasTaps(64, 224);
    for (const taps of [down, up]) {
      for (let o = 0; o < taps.outSize; o++) {
        let sum = 0;
        for (let k = 0; k < taps.count[o]!; k++) sum += taps.weights[taps.offset[o]! + k]!;
        expect(sum).toBeCloseTo(1, 12);
      }
    }
    // 512 → 224 stretches the kernel by 512/224: 9 or 10 taps (2·2·2.29 wide) in the middle, 4 when enlarging.
    expect(down.count[100]).toBeGreaterThanOrEqual(9);
    expect(up.count[100]).toBe(4);
  });

  it("its gradient is the exact transpose (dot-product test) and matches finite differences", () => {
    const rng = createRng(11);
    for (const [height, width] of [
      [64, 64],
      [40, 57],
      [300, 261],
    ] as const) {
      const batch = 2;
      const images: ImageBatch = {
        data: Float32Array.from({ length: batch * 3 * height * width }, () => rng.uniform() * 2 - 1),
        batch,
        channels: 3,
        height,
        width,
      };
      const g = Float32Array.from({ length: batch * 3 * CLIP_SIZE * CLIP_SIZE }, () => rng.normal());
      const gradient = new Float32Array(images.data.length);
      clipPreprocessAdjoint(images, g, gradient);
      // f(x) = <g, P(x)> is affine, so its gradient is Pᵀg exactly; central differences along a direction.
      const f = (data: Float32Array) => {
        const out = clipPreprocess({ ...images, data });
        let s = 0;
        for (let i = 0; i < out.length; i++) s += g[i]! * out[i]!;
        return s;
      };
      const direction = Float32Array.from({ length: images.data.length }, () => rng.normal());
      let analytic = 0;
      for (let i = 0; i < direction.length; i++) analytic += gradient[i]! * direction[i]!;
      const h = 0.05;
      const shifted = (sign: number) =>
        Float32Array.from(images.data, (v, i) => v + sign * h * direction[i]!);
      const numeric = (f(shifted(1)) - f(shifted(-1))) / (2 * h);
      expect(Math.abs(analytic - numeric), `${height}×${width}`).toBeLessThan(
        2e-3 * Math.abs(numeric) + 1e-2,
      );
      // Single coordinates, including a corner pixel (renormalized edge taps) of the second image.
      for (const index of [0, images.data.length - 1, 3 * height * width + 7 * width + 5]) {
        const plus = Float32Array.from(images.data);
        const minus = Float32Array.from(images.data);
        plus[index] = plus[index]! + 0.5;
        minus[index] = minus[index]! - 0.5;
        const single = (f(plus) - f(minus)) / 1;
        expect(gradient[index]!).toBeCloseTo(single, 2);
        // A square picture is not cropped: even its corners reach the scorer.
        if (height === width) expect(Math.abs(gradient[index]!)).toBeGreaterThan(1e-4);
      }
      if (width > height) {
        // The center crop drops the left and right ends: their pixels get exactly no gradient.
        expect(gradient[5 * width]).toBe(0);
        expect(gradient[5 * width + Math.floor(width / 2)]).not.toBe(0);
      }
    }
  });
});
