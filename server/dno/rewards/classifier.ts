/**
 * Classifier-based rewards: the probability of a chosen class ("make it a circle") and prompt
 * faithfulness (the classifier agrees with the caption's attributes). The classifier itself runs in
 * ONNX Runtime and is differentiated by the autodiff; here is everything else: the pure math from
 * logits to scores and its gradient with respect to the logits, and the Reward that chains them with
 * any classifier that offers forward and a VJP.
 */
import type { MaybePromise } from "../tensor";
import { parsePromptAttributes, type PromptAttribute, type PromptVocabulary } from "./prompt-attributes";
import type { ImageBatch, Reward, RewardValueAndGradient } from "./reward";

/** Logits of one classifier head: [batch, classes] row-major, with the class names in order. */
export interface HeadLogits {
  readonly logits: Float32Array | Float64Array;
  readonly labels: readonly string[];
}

/**
 * A (multi-head) image classifier as the executor provides it: ONNX forward and the autodiff VJP.
 * `vjp` receives ∂score/∂logits per head (same layout as the logits) and returns ∂score/∂image.
 */
export interface ImageClassifier {
  forward(images: ImageBatch): MaybePromise<Record<string, HeadLogits>>;
  vjp(images: ImageBatch, logitCotangents: Record<string, Float32Array>): MaybePromise<Float32Array>;
}

/** "log": log-probability (smooth, unbounded below — the usual choice); "prob": probability in [0, 1]. */
export type ProbabilityMode = "log" | "prob";

export interface ClassScores {
  /** One score per row (image). */
  scores: Float64Array;
  /** ∂score_b/∂logits_b, [batch, classes]. */
  gradient: Float32Array;
}

/**
 * log softmax(logits_b)[class] (or softmax) per row, and its gradient with respect to the logits:
 *   ∂ log p_c/∂ℓ_j = [j = c] − p_j,    ∂ p_c/∂ℓ_j = p_c·([j = c] − p_j).
 * Computed with the max-shift so that large logits do not overflow.
 */
export function classScoresFromLogits(
  logits: Float32Array | Float64Array,
  classes: number,
  classIndex: number,
  mode: ProbabilityMode = "log",
): ClassScores {
  if (!Number.isInteger(classes) || classes < 1 || logits.length % classes !== 0) {
    throw new RangeError(
      `classScoresFromLogits: ${logits.length} logits do not split into rows of ${classes} classes.`,
    );
  }
  if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= classes) {
    throw new RangeError(`classScoresFromLogits: class index ${classIndex} is outside [0, ${classes}).`);
  }
  const batch = logits.length / classes;
  const scores = new Float64Array(batch);
  const gradient = new Float32Array(logits.length);
  for (let b = 0; b < batch; b++) {
    const o = b * classes;
    let max = -Infinity;
    for (let j = 0; j < classes; j++) max = Math.max(max, logits[o + j]!);
    let sum = 0;
    for (let j = 0; j < classes; j++) sum += Math.exp(logits[o + j]! - max);
    const logSum = Math.log(sum) + max;
    const logP = logits[o + classIndex]! - logSum;
    const p = Math.exp(logP);
    scores[b] = mode === "log" ? logP : p;
    for (let j = 0; j < classes; j++) {
      const pj = Math.exp(logits[o + j]! - logSum);
      const d = (j === classIndex ? 1 : 0) - pj;
      gradient[o + j] = mode === "log" ? d : p * d;
    }
  }
  return { scores, gradient };
}

export interface FaithfulnessScores {
  /** Mean over the scored attributes of log p (or p) per image. */
  scores: Float64Array;
  /** ∂score/∂logits per head that was used. */
  gradients: Record<string, Float32Array>;
  /** The attributes that were scored. */
  used: PromptAttribute[];
  /** Attributes the classifier cannot score (no such head, or no such label), with the reason. */
  skipped: { attribute: PromptAttribute; reason: string }[];
}

/** Prompt faithfulness from the classifier's logits: mean of the class scores of the prompt's attributes. */
export function faithfulnessFromLogits(
  heads: Record<string, HeadLogits>,
  attributes: readonly PromptAttribute[],
  mode: ProbabilityMode = "log",
): FaithfulnessScores {
  const used: PromptAttribute[] = [];
  const skipped: FaithfulnessScores["skipped"] = [];
  const perAttribute: { head: string; scores: ClassScores }[] = [];
  let batch = -1;
  for (const attribute of attributes) {
    const head = heads[attribute.head];
    if (!head) {
      skipped.push({ attribute, reason: `the classifier has no head "${attribute.head}"` });
      continue;
    }
    const classIndex = head.labels.indexOf(attribute.label);
    if (classIndex < 0) {
      skipped.push({ attribute, reason: `head "${attribute.head}" has no label "${attribute.label}"` });
      continue;
    }
    const scores = classScoresFromLogits(head.logits, head.labels.length, classIndex, mode);
    if (batch >= 0 && scores.scores.length !== batch) {
      throw new RangeError(
        `faithfulness: head "${attribute.head}" has ${scores.scores.length} rows, others ${batch}.`,
      );
    }
    batch = scores.scores.length;
    used.push(attribute);
    perAttribute.push({ head: attribute.head, scores });
  }
  const scores = new Float64Array(Math.max(batch, 0));
  const gradients: Record<string, Float32Array> = {};
  const weight = perAttribute.length > 0 ? 1 / perAttribute.length : 0;
  for (const { head, scores: s } of perAttribute) {
    for (let b = 0; b < scores.length; b++) scores[b] = scores[b]! + weight * s.scores[b]!;
    const g = gradients[head] ?? new Float32Array(s.gradient.length);
    for (let i = 0; i < g.length; i++) g[i] = g[i]! + weight * s.gradient[i]!;
    gradients[head] = g;
  }
  return { scores, gradients, used, skipped };
}

/** Reward: the classifier's (log-)probability of one class of one head. */
export function createClassProbabilityReward(options: {
  classifier: ImageClassifier;
  head: string;
  label: string;
  mode?: ProbabilityMode;
}): Reward {
  const { classifier, head, label } = options;
  const mode = options.mode ?? "log";
  const scoresOf = (heads: Record<string, HeadLogits>): ClassScores => {
    const logits = heads[head];
    if (!logits) {
      throw new RangeError(
        `class-probability: the classifier has no head "${head}" (heads: ${Object.keys(heads).join(", ")}).`,
      );
    }
    const index = logits.labels.indexOf(label);
    if (index < 0) {
      throw new RangeError(
        `class-probability: head "${head}" has no label "${label}" (labels: ${logits.labels.join(", ")}).`,
      );
    }
    return classScoresFromLogits(logits.logits, logits.labels.length, index, mode);
  };
  return {
    id: `class-probability:${head}=${label}`,
    differentiable: true,
    evaluate: async (images) => scoresOf(await classifier.forward(images)).scores,
    async valueAndGradient(images, gradientOut): Promise<RewardValueAndGradient> {
      const { scores, gradient: logitGradient } = scoresOf(await classifier.forward(images));
      const gradient = await classifier.vjp(images, { [head]: logitGradient });
      if (gradientOut) {
        gradientOut.set(gradient);
        return { scores, gradient: gradientOut };
      }
      return { scores, gradient };
    },
  };
}

/**
 * Reward: prompt faithfulness, the mean (log-)probability the classifier gives the attributes parsed
 * from the prompt. Throws at creation when no attribute can be parsed, so a run is refused up front.
 */
export function createPromptFaithfulnessReward(options: {
  classifier: ImageClassifier;
  prompt: string;
  mode?: ProbabilityMode;
  vocabulary?: PromptVocabulary;
}): Reward & { readonly attributes: readonly PromptAttribute[] } {
  const { classifier, prompt } = options;
  const mode = options.mode ?? "log";
  const { attributes } = parsePromptAttributes(prompt, options.vocabulary);
  if (attributes.length === 0) {
    throw new RangeError(
      `prompt-faithfulness: no attribute (count, size, color, shape, background) found in "${prompt}"; ` +
        'write the prompt like "two small green squares on a yellow background".',
    );
  }
  return {
    id: "prompt-faithfulness",
    differentiable: true,
    attributes,
    evaluate: async (images) =>
      faithfulnessFromLogits(await classifier.forward(images), attributes, mode).scores,
    async valueAndGradient(images, gradientOut): Promise<RewardValueAndGradient> {
      const { scores, gradients } = faithfulnessFromLogits(
        await classifier.forward(images),
        attributes,
        mode,
      );
      const gradient = await classifier.vjp(images, gradients);
      if (gradientOut) {
        gradientOut.set(gradient);
        return { scores, gradient: gradientOut };
      }
      return { scores, gradient };
    },
  };
}
