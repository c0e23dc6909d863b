/**
 * The reward contract of the DNO engine. Images are float tensors [B, C, H, W] (C = 3, RGB) in about
 * [-1, 1] — the VAE decoder's output, not clamped, so gradients do not vanish at the range ends.
 * A reward scores each image of the batch independently (one number per image, higher is better).
 */
import type { FloatArray, MaybePromise } from "../tensor";

export interface ImageBatch {
  /** Row-major [batch, channels, height, width]. */
  readonly data: FloatArray;
  readonly batch: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
}

export interface RewardValueAndGradient {
  /** One score per image. */
  scores: Float64Array;
  /** ∂score_b/∂image_b for every image b, laid out like images.data. */
  gradient: Float32Array;
}

export interface Reward {
  /** Stable id, e.g. "brightness" or "jpeg-compressibility"; the key in the run history. */
  readonly id: string;
  /** false: no gradient — the Optimizer needs a zeroth-order or hybrid estimator for it. */
  readonly differentiable: boolean;
  evaluate(images: ImageBatch): MaybePromise<Float64Array>;
  /**
   * Scores and their gradient with respect to the image in one pass (only when differentiable).
   * `gradientOut` (length of images.data) is overwritten and returned when given, to avoid allocation.
   */
  valueAndGradient?(images: ImageBatch, gradientOut?: Float32Array): MaybePromise<RewardValueAndGradient>;
}

/** Wraps a flat tensor with its [B, C, H, W] shape, checking that they agree. */
export function imageBatch(data: FloatArray, shape: readonly number[]): ImageBatch {
  if (shape.length !== 4) {
    throw new RangeError(
      `imageBatch: expected a [batch, channels, height, width] shape, got [${shape.join(", ")}].`,
    );
  }
  const [batch, channels, height, width] = shape as [number, number, number, number];
  if (batch * channels * height * width !== data.length) {
    throw new RangeError(
      `imageBatch: shape [${shape.join(", ")}] holds ${batch * channels * height * width} values, the tensor has ${data.length}.`,
    );
  }
  return { data, batch, channels, height, width };
}

export function requireRgb(where: string, images: ImageBatch): void {
  if (images.channels !== 3) {
    throw new RangeError(
      `${where}: expects RGB images (3 channels), got ${images.channels}; decode to RGB first.`,
    );
  }
}

export function gradientBuffer(where: string, images: ImageBatch, out?: Float32Array): Float32Array {
  if (!out) return new Float32Array(images.data.length);
  if (out.length !== images.data.length) {
    throw new RangeError(
      `${where}: gradient buffer has ${out.length} values, the images have ${images.data.length}.`,
    );
  }
  return out;
}
