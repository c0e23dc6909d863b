/**
 * A guard on the decoded image (the prompt keeper, the image trust region): a penalty computed from the
 * picture, with its gradient with respect to the picture. The objective subtracts the penalty and its image
 * gradient next to the rewards' (../objective.ts), so the executor pulls it back to the noise through the
 * VAE decoder and DDIM chain VJPs exactly like an image reward with a negative weight.
 */
import type { ImageBatch } from "../rewards/reward";
import type { MaybePromise } from "../tensor";
import type { GuardReport } from "./guard";

export interface ImageGuardContext {
  /** The run's starting images (iteration 0), aligned with `images`; null before they exist (iteration 0). */
  readonly start: ImageBatch | null;
  /** Whether the penalty's image gradient is needed. */
  readonly withGradient: boolean;
}

export interface ImageGuardResult {
  /** Per image: the penalty (≥ 0) subtracted from the objective. */
  readonly penalties: Float64Array;
  /** ∂penalty_b/∂image_b, laid out like images.data; only with `withGradient` (null: zero everywhere). */
  readonly gradient: Float32Array | null;
  /** What the run history stores (with a batch: the worst image's value, fired when any image is penalized). */
  readonly report: GuardReport;
}

export interface ImagePenaltyGuard {
  /** The key of its report in an iteration record's `guards` (its kind's declared report key). */
  readonly id: string;
  evaluate(images: ImageBatch, context: ImageGuardContext): MaybePromise<ImageGuardResult>;
}
