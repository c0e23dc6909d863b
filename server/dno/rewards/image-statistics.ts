/**
 * Differentiable image-statistics rewards with analytic gradients. Pixels x ∈ [-1, 1] map to
 * u = (x + 1)/2 ∈ [0, 1] without clamping (the reference DNO code also scores the raw decoder output),
 * so scores are in about [0, 1] and gradients never vanish at saturated pixels.
 *
 *   luminance   Y = 0.299·R + 0.587·G + 0.114·B        (Rec. 601 luma weights, as PIL's "L" mode)
 *   brightness  = mean over pixels of Y
 *   darkness    = 1 − brightness
 *   saturation  = mean over pixels of the chroma max(R,G,B) − min(R,G,B) (HSV's S numerator; the
 *                 common colourfulness proxy). With temperature τ > 0, max and min are smoothed as
 *                 τ·log Σ exp(u/τ) and −τ·log Σ exp(−u/τ), so the gradient spreads over near-ties
 *                 (overestimates chroma by at most 2τ·log 3); τ = 0 gives the exact max − min with its
 *                 a.e. gradient (+1 on the arg-max channel, −1 on the arg-min).
 *   contrast    = RMS contrast: population standard deviation of Y over the pixels of the image.
 */
import type { FloatArray } from "../tensor";
import {
  gradientBuffer,
  type ImageBatch,
  type Reward,
  type RewardValueAndGradient,
  requireRgb,
} from "./reward";

export const LUMA_WEIGHTS = [0.299, 0.587, 0.114] as const;
const [WR, WG, WB] = LUMA_WEIGHTS;

function meanLuminance(data: FloatArray, offset: number, pixels: number): number {
  let sum = 0;
  for (let p = 0; p < pixels; p++) {
    sum += WR * data[offset + p]! + WG * data[offset + pixels + p]! + WB * data[offset + 2 * pixels + p]!;
  }
  // Y of u = (x + 1)/2 is (Y(x) + 1)/2 because the weights sum to 1.
  return (sum / pixels + 1) / 2;
}

function brightnessScores(images: ImageBatch): Float64Array {
  requireRgb("brightness", images);
  const pixels = images.height * images.width;
  const scores = new Float64Array(images.batch);
  for (let b = 0; b < images.batch; b++) scores[b] = meanLuminance(images.data, b * 3 * pixels, pixels);
  return scores;
}

function fillLuminanceGradient(images: ImageBatch, out: Float32Array, sign: number): void {
  const pixels = images.height * images.width;
  const scale = sign / (2 * pixels);
  for (let b = 0; b < images.batch; b++) {
    const offset = b * 3 * pixels;
    out.fill(WR * scale, offset, offset + pixels);
    out.fill(WG * scale, offset + pixels, offset + 2 * pixels);
    out.fill(WB * scale, offset + 2 * pixels, offset + 3 * pixels);
  }
}

export const brightnessReward: Reward = {
  id: "brightness",
  differentiable: true,
  evaluate: brightnessScores,
  valueAndGradient(images, gradientOut): RewardValueAndGradient {
    const scores = brightnessScores(images);
    const gradient = gradientBuffer("brightness", images, gradientOut);
    fillLuminanceGradient(images, gradient, 1);
    return { scores, gradient };
  },
};

export const darknessReward: Reward = {
  id: "darkness",
  differentiable: true,
  evaluate: (images) => brightnessScores(images).map((v) => 1 - v),
  valueAndGradient(images, gradientOut): RewardValueAndGradient {
    const scores = brightnessScores(images).map((v) => 1 - v);
    const gradient = gradientBuffer("darkness", images, gradientOut);
    fillLuminanceGradient(images, gradient, -1);
    return { scores, gradient };
  },
};

export interface SaturationOptions {
  /** Smoothing temperature τ in [0, 1] pixel units (default 0.01; 0 = exact max − min). */
  temperature?: number;
}

export function createSaturationReward(options: SaturationOptions = {}): Reward {
  const tau = options.temperature ?? 0.01;
  if (!(tau >= 0)) throw new RangeError(`saturation: temperature must be ≥ 0, got ${tau}.`);
  const run = (images: ImageBatch, gradient: Float32Array | null): Float64Array => {
    requireRgb("saturation", images);
    const { data } = images;
    const pixels = images.height * images.width;
    const scores = new Float64Array(images.batch);
    // ∂mean/∂u = 1/pixels and ∂u/∂x = 1/2.
    const scale = 1 / (2 * pixels);
    for (let b = 0; b < images.batch; b++) {
      const o = b * 3 * pixels;
      let sum = 0;
      for (let p = 0; p < pixels; p++) {
        const r = (data[o + p]! + 1) / 2;
        const g = (data[o + pixels + p]! + 1) / 2;
        const bl = (data[o + 2 * pixels + p]! + 1) / 2;
        const hi = Math.max(r, g, bl);
        const lo = Math.min(r, g, bl);
        if (tau === 0) {
          sum += hi - lo;
          if (gradient) {
            // Ties go to the first channel: a valid subgradient.
            const argMax = r === hi ? 0 : g === hi ? 1 : 2;
            const argMin = r === lo ? 0 : g === lo ? 1 : 2;
            gradient[o + p] = 0;
            gradient[o + pixels + p] = 0;
            gradient[o + 2 * pixels + p] = 0;
            if (argMax !== argMin) {
              gradient[o + argMax * pixels + p] = scale;
              gradient[o + argMin * pixels + p] = -scale;
            }
          }
          continue;
        }
        // Shifted by the max/min before exp for stability.
        const er = Math.exp((r - hi) / tau);
        const eg = Math.exp((g - hi) / tau);
        const eb = Math.exp((bl - hi) / tau);
        const sumMax = er + eg + eb;
        const fr = Math.exp((lo - r) / tau);
        const fg = Math.exp((lo - g) / tau);
        const fb = Math.exp((lo - bl) / tau);
        const sumMin = fr + fg + fb;
        const smoothMax = hi + tau * Math.log(sumMax);
        const smoothMin = lo - tau * Math.log(sumMin);
        sum += smoothMax - smoothMin;
        if (gradient) {
          gradient[o + p] = scale * (er / sumMax - fr / sumMin);
          gradient[o + pixels + p] = scale * (eg / sumMax - fg / sumMin);
          gradient[o + 2 * pixels + p] = scale * (eb / sumMax - fb / sumMin);
        }
      }
      scores[b] = sum / pixels;
    }
    return scores;
  };
  return {
    id: "saturation",
    differentiable: true,
    evaluate: (images) => run(images, null),
    valueAndGradient(images, gradientOut) {
      const gradient = gradientBuffer("saturation", images, gradientOut);
      return { scores: run(images, gradient), gradient };
    },
  };
}

export const saturationReward: Reward = createSaturationReward();

function contrast(images: ImageBatch, gradient: Float32Array | null): Float64Array {
  requireRgb("contrast", images);
  const { data } = images;
  const pixels = images.height * images.width;
  const scores = new Float64Array(images.batch);
  for (let b = 0; b < images.batch; b++) {
    const o = b * 3 * pixels;
    const mean = meanLuminance(data, o, pixels);
    let sumSquares = 0;
    for (let p = 0; p < pixels; p++) {
      const y = (WR * data[o + p]! + WG * data[o + pixels + p]! + WB * data[o + 2 * pixels + p]! + 1) / 2;
      sumSquares += (y - mean) * (y - mean);
    }
    const std = Math.sqrt(sumSquares / pixels);
    scores[b] = std;
    if (gradient) {
      // ∂σ/∂Y_p = (Y_p − Ȳ)/(N·σ); ∂Y_p/∂x_c = w_c/2. A flat image (σ = 0) gets the zero subgradient.
      const scale = std > 0 ? 1 / (2 * pixels * std) : 0;
      for (let p = 0; p < pixels; p++) {
        const y = (WR * data[o + p]! + WG * data[o + pixels + p]! + WB * data[o + 2 * pixels + p]! + 1) / 2;
        const d = scale * (y - mean);
        gradient[o + p] = WR * d;
        gradient[o + pixels + p] = WG * d;
        gradient[o + 2 * pixels + p] = WB * d;
      }
    }
  }
  return scores;
}

export const contrastReward: Reward = {
  id: "contrast",
  differentiable: true,
  evaluate: (images) => contrast(images, null),
  valueAndGradient(images, gradientOut) {
    const gradient = gradientBuffer("contrast", images, gradientOut);
    return { scores: contrast(images, gradient), gradient };
  },
};
