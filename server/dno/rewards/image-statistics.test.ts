import { describe, expect, it } from "vitest";
import { gaussian } from "@/server/models/rng";
import {
  brightnessReward,
  contrastReward,
  createSaturationReward,
  darknessReward,
  saturationReward,
} from "./image-statistics";
import { imageBatch, type Reward } from "./reward";

async function finiteDifferenceCheck(reward: Reward, data: Float64Array, shape: number[], tolerance = 1e-6) {
  const images = imageBatch(data, shape);
  const { scores, gradient } = await reward.valueAndGradient!(images);
  expect(Array.from(scores)).toEqual(Array.from(await reward.evaluate(images)));
  const h = 1e-5;
  const pixelsPerImage = data.length / shape[0]!;
  let maxError = 0;
  for (let i = 0; i < data.length; i++) {
    const original = data[i]!;
    const b = Math.floor(i / pixelsPerImage);
    data[i] = original + h;
    const plus = (await reward.evaluate(images))[b]!;
    data[i] = original - h;
    const minus = (await reward.evaluate(images))[b]!;
    data[i] = original;
    maxError = Math.max(maxError, Math.abs((plus - minus) / (2 * h) - gradient[i]!));
  }
  expect(maxError).toBeLessThan(tolerance);
}

const shape = [2, 3, 5, 4];
const randomImages = (seed: number): Float64Array => Float64Array.from(gaussian(seed, 120), (v) => 0.5 * v);

describe("image-statistics rewards", () => {
  it("brightness and darkness: hand values (uniform and Rec.601-weighted colour images)", async () => {
    const gray = imageBatch(new Float32Array(2 * 3 * 4).fill(0), [2, 3, 2, 2]);
    expect(Array.from(await brightnessReward.evaluate(gray))).toEqual([0.5, 0.5]);
    // Pure red (R = 1, G = B = −1 in [-1, 1]): Y = 0.299.
    const red = new Float32Array(12).fill(-1);
    red.fill(1, 0, 4);
    expect((await brightnessReward.evaluate(imageBatch(red, [1, 3, 2, 2])))[0]).toBeCloseTo(0.299, 7);
    expect((await darknessReward.evaluate(imageBatch(red, [1, 3, 2, 2])))[0]).toBeCloseTo(0.701, 7);
  });

  it("saturation: exact chroma of pure colours and gray, smooth within 2τ·log 3", async () => {
    const red = new Float32Array(12).fill(-1);
    red.fill(1, 0, 4);
    const gray = new Float32Array(12).fill(0.2);
    const exact = createSaturationReward({ temperature: 0 });
    expect((await exact.evaluate(imageBatch(red, [1, 3, 2, 2])))[0]).toBe(1);
    expect((await exact.evaluate(imageBatch(gray, [1, 3, 2, 2])))[0]).toBeCloseTo(0, 7);
    const smoothGray = (await saturationReward.evaluate(imageBatch(gray, [1, 3, 2, 2])))[0]!;
    expect(smoothGray).toBeGreaterThan(0);
    expect(smoothGray).toBeLessThanOrEqual(2 * 0.01 * Math.log(3) + 1e-7);
  });

  it("contrast: the standard deviation of luminance (two-level image by hand)", async () => {
    // Half the pixels black, half white: Y ∈ {0, 1}, σ = 0.5.
    const data = new Float32Array(3 * 4);
    for (let c = 0; c < 3; c++) data.set([-1, -1, 1, 1], c * 4);
    expect((await contrastReward.evaluate(imageBatch(data, [1, 3, 2, 2])))[0]).toBeCloseTo(0.5, 7);
    const flat = imageBatch(new Float32Array(12).fill(0.3), [1, 3, 2, 2]);
    const { scores, gradient } = await contrastReward.valueAndGradient!(flat);
    expect(scores[0]).toBeCloseTo(0, 7);
    expect(gradient.every((g) => g === 0)).toBe(true);
  });

  it("analytic gradients match central finite differences", async () => {
    await finiteDifferenceCheck(brightnessReward, randomImages(1), shape);
    await finiteDifferenceCheck(darknessReward, randomImages(2), shape);
    await finiteDifferenceCheck(contrastReward, randomImages(3), shape);
    await finiteDifferenceCheck(saturationReward, randomImages(4), shape, 1e-5);
    await finiteDifferenceCheck(createSaturationReward({ temperature: 0.2 }), randomImages(5), shape);
    // Exact max − min: differentiable away from ties (random images have none).
    await finiteDifferenceCheck(createSaturationReward({ temperature: 0 }), randomImages(6), shape);
  });

  it("rejects non-RGB images and wrong shapes", () => {
    expect(() => brightnessReward.evaluate(imageBatch(new Float32Array(4), [1, 1, 2, 2]))).toThrow(/RGB/);
    expect(() => imageBatch(new Float32Array(5), [1, 3, 2, 2])).toThrow(/holds 12 values/);
  });
});
