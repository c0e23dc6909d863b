/**
 * JPEG compressibility / incompressibility (the DNO paper's non-differentiable rewards): each image is
 * encoded for real and scored by its size in kB (bytes / 1000), negated for compressibility. As in the
 * reference, pixels map to bytes by round(clamp((x + 1)/2, 0, 1)·255) and the default quality is 95.
 * The encoder is ./jpeg-encoder.ts, which writes jpeg-js's exact bytes (tested) without jpeg-js's
 * per-call table rebuild. No gradient: optimize it with the zeroth-order or hybrid estimator.
 */
import { encodeJpeg } from "./jpeg-encoder";
import { type ImageBatch, type Reward, requireRgb } from "./reward";

export interface JpegRewardOptions {
  /** JPEG quality 1–100 (default 95, as the reference). */
  quality?: number;
}

/** Encoded JPEG size of every image of the batch, in bytes. */
export function jpegSizes(images: ImageBatch, quality = 95): Float64Array {
  requireRgb("jpeg", images);
  if (!(quality >= 1 && quality <= 100))
    throw new RangeError(`jpeg: quality must be in [1, 100], got ${quality}.`);
  const { data, width, height } = images;
  const pixels = width * height;
  const planar = new Uint8Array(3 * pixels);
  const sizes = new Float64Array(images.batch);
  for (let b = 0; b < images.batch; b++) {
    const o = b * 3 * pixels;
    for (let i = 0; i < 3 * pixels; i++) planar[i] = toByte(data[o + i]!);
    sizes[b] = encodeJpeg(planar, width, height, quality).length;
  }
  return sizes;
}

function toByte(x: number): number {
  const u = (x + 1) / 2;
  return Math.round(Math.min(1, Math.max(0, u)) * 255);
}

/** Higher when the JPEG is smaller: −size in kB. */
export function createJpegCompressibilityReward(options: JpegRewardOptions = {}): Reward {
  const quality = options.quality ?? 95;
  return {
    id: "jpeg-compressibility",
    differentiable: false,
    evaluate: (images) => jpegSizes(images, quality).map((bytes) => -bytes / 1000),
  };
}

/** Higher when the JPEG is larger: +size in kB. */
export function createJpegIncompressibilityReward(options: JpegRewardOptions = {}): Reward {
  const quality = options.quality ?? 95;
  return {
    id: "jpeg-incompressibility",
    differentiable: false,
    evaluate: (images) => jpegSizes(images, quality).map((bytes) => bytes / 1000),
  };
}
