/**
 * Image trust region: the decoded picture may move only `radius` away from the run's starting picture
 * (iteration 0). The distance is the root-mean-square change per value, as a fraction of the black-to-white
 * range (images span [−1, 1], so that range is 2):
 *   d_b = √(mean_i (x_b,i − x0_b,i)²) / 2
 *   penalty_b = weight · (max(0, d_b − radius) / radius)²       (0 inside the region)
 *   ∂penalty_b/∂x_b,i = 2·weight·(d_b − radius)/radius² · (x_b,i − x0_b,i) / (4·N·d_b)   (N values per image)
 * The report's value is the largest distance of the batch.
 */
import type { ImageBatch } from "../rewards/reward";
import type { ImageGuardContext, ImageGuardResult, ImagePenaltyGuard } from "./image-guard";

export interface ImageTrustRegionOptions {
  /** Allowed distance (fraction of the black-to-white range), > 0. */
  radius: number;
  /** Penalty at twice the radius. */
  weight: number;
}

export class ImageTrustRegionGuard implements ImagePenaltyGuard {
  readonly id = "image-trust-region";
  readonly radius: number;
  readonly weight: number;

  constructor(options: ImageTrustRegionOptions) {
    if (!(options.radius > 0))
      throw new RangeError(`image trust region: radius must be > 0, got ${options.radius}.`);
    if (!(options.weight >= 0))
      throw new RangeError(`image trust region: weight must be ≥ 0, got ${options.weight}.`);
    this.radius = options.radius;
    this.weight = options.weight;
  }

  evaluate(images: ImageBatch, context: ImageGuardContext): ImageGuardResult {
    const batch = images.batch;
    const penalties = new Float64Array(batch);
    const detail: Record<string, number> = { radius: this.radius };
    // Iteration 0 has no start yet: the picture is its own start (distance 0).
    const start = context.start;
    if (!start) return { penalties, gradient: null, report: { value: 0, fired: false, penalty: 0, detail } };
    if (start.data.length !== images.data.length) {
      throw new RangeError(
        `image trust region: the starting images hold ${start.data.length} values, the images ${images.data.length}.`,
      );
    }
    const perImage = images.data.length / batch;
    let gradient: Float32Array | null = null;
    let largest = 0;
    let fired = false;
    let penalty = 0;
    for (let b = 0; b < batch; b++) {
      const offset = b * perImage;
      let sum = 0;
      for (let i = offset; i < offset + perImage; i++) {
        const d = images.data[i]! - start.data[i]!;
        sum += d * d;
      }
      const distance = Math.sqrt(sum / perImage) / 2;
      largest = Math.max(largest, distance);
      const excess = distance - this.radius;
      if (excess <= 0) continue;
      fired = true;
      const relative = excess / this.radius;
      penalties[b] = this.weight * relative * relative;
      penalty += penalties[b]!;
      if (!context.withGradient) continue;
      gradient ??= new Float32Array(images.data.length);
      const scale = (2 * this.weight * excess) / (this.radius * this.radius) / (4 * perImage * distance);
      for (let i = offset; i < offset + perImage; i++)
        gradient[i] = scale * (images.data[i]! - start.data[i]!);
    }
    return { penalties, gradient, report: { value: largest, fired, penalty, detail } };
  }
}
