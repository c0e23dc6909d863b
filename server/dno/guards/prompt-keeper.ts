/**
 * Prompt keeper: the classifier's probability of each attribute the prompt asked for (its shape and
 * colours) must stay at or above `floor`. Per image b and kept attribute a with probability p_a,b:
 *   penalty_b = weight · Σ_a max(0, floor − p_a,b)
 * Its gradient goes through the classifier's VJP, like the prompt-faithfulness reward's: the logit
 * cotangent of an attribute below the floor is −weight·∂p_a/∂logits (classScoresFromLogits, mode "prob").
 * The report's value is the lowest kept probability (over attributes and images).
 */
import type { ImageBatch } from "../rewards/reward";
import { classScoresFromLogits, type ImageClassifier } from "../rewards/classifier";
import type { PromptAttribute } from "../rewards/prompt-attributes";
import type { ImageGuardContext, ImageGuardResult, ImagePenaltyGuard } from "./image-guard";

export interface PromptKeeperOptions {
  classifier: ImageClassifier;
  /** The attributes to keep (head and label each); at least one. */
  attributes: readonly PromptAttribute[];
  /** Lowest allowed probability, in [0, 1]. */
  floor: number;
  /** Penalty per unit of probability below the floor. */
  weight: number;
}

export class PromptKeeperGuard implements ImagePenaltyGuard {
  readonly id = "prompt-keeper";
  readonly attributes: readonly PromptAttribute[];
  readonly floor: number;
  readonly weight: number;
  private readonly classifier: ImageClassifier;

  constructor(options: PromptKeeperOptions) {
    if (options.attributes.length === 0) throw new RangeError("prompt keeper: no attribute to keep.");
    if (!(options.floor >= 0 && options.floor <= 1))
      throw new RangeError(`prompt keeper: floor must be in [0, 1], got ${options.floor}.`);
    if (!(options.weight >= 0))
      throw new RangeError(`prompt keeper: weight must be ≥ 0, got ${options.weight}.`);
    this.classifier = options.classifier;
    this.attributes = [...options.attributes];
    this.floor = options.floor;
    this.weight = options.weight;
  }

  async evaluate(images: ImageBatch, context: ImageGuardContext): Promise<ImageGuardResult> {
    const heads = await this.classifier.forward(images);
    const batch = images.batch;
    const penalties = new Float64Array(batch);
    const cotangents: Record<string, Float32Array> = {};
    const detail: Record<string, number> = { floor: this.floor };
    let lowest = Infinity;
    let fired = false;
    for (const attribute of this.attributes) {
      const head = heads[attribute.head];
      const index = head?.labels.indexOf(attribute.label) ?? -1;
      if (!head || index < 0) {
        throw new RangeError(
          `prompt keeper: the classifier has no label "${attribute.label}" in its "${attribute.head}" head.`,
        );
      }
      const classes = head.labels.length;
      const { scores, gradient } = classScoresFromLogits(head.logits, classes, index, "prob");
      let attributeLowest = Infinity;
      for (let b = 0; b < batch; b++) {
        const p = scores[b]!;
        attributeLowest = Math.min(attributeLowest, p);
        if (p >= this.floor) continue;
        fired = true;
        penalties[b] = penalties[b]! + this.weight * (this.floor - p);
        if (!context.withGradient) continue;
        const cotangent = cotangents[attribute.head] ?? new Float32Array(head.logits.length);
        cotangents[attribute.head] = cotangent;
        for (let j = 0; j < classes; j++) {
          const at = b * classes + j;
          cotangent[at] = cotangent[at]! - this.weight * gradient[at]!;
        }
      }
      detail[`${attribute.role}:${attribute.label}`] = attributeLowest;
      lowest = Math.min(lowest, attributeLowest);
    }
    const gradient =
      Object.keys(cotangents).length > 0 ? await this.classifier.vjp(images, cotangents) : null;
    let penalty = 0;
    for (const value of penalties) penalty += value;
    return { penalties, gradient, report: { value: lowest, fired, penalty, detail } };
  }
}
