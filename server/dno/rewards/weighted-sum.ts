/**
 * Several rewards, weighted and summed: total_b = Σ_r w_r · score_r,b. The gradient is the weighted sum
 * of the differentiable rewards' image gradients; non-differentiable rewards are listed so the caller
 * routes them to an estimator (or refuses the run).
 */
import type { ImageBatch, Reward } from "./reward";

export interface WeightedReward {
  reward: Reward;
  weight: number;
}

export interface WeightedRewardEvaluation {
  /** Per reward id, one score per image (unweighted). */
  scores: Record<string, Float64Array>;
  /** Σ w·score per image. */
  total: Float64Array;
  /** Σ w·∂score/∂image over the differentiable rewards (only when asked for). */
  gradient?: Float32Array;
  /** Ids of rewards that contributed to `total` but not to `gradient`. */
  withoutGradient: string[];
}

export async function evaluateWeightedRewards(
  rewards: readonly WeightedReward[],
  images: ImageBatch,
  options: { withGradient?: boolean; gradientOut?: Float32Array } = {},
): Promise<WeightedRewardEvaluation> {
  const ids = new Set<string>();
  for (const { reward } of rewards) {
    if (ids.has(reward.id)) {
      throw new RangeError(`rewards: "${reward.id}" appears twice; merge the two into one weight.`);
    }
    ids.add(reward.id);
  }
  const total = new Float64Array(images.batch);
  const scores: Record<string, Float64Array> = {};
  const withoutGradient: string[] = [];
  let gradient: Float32Array | undefined;
  let scratch: Float32Array | undefined;
  if (options.withGradient) {
    gradient = options.gradientOut ?? new Float32Array(images.data.length);
    gradient.fill(0);
  }
  for (const { reward, weight } of rewards) {
    let values: Float64Array;
    if (gradient && reward.differentiable && reward.valueAndGradient && weight !== 0) {
      scratch ??= new Float32Array(images.data.length);
      const result = await reward.valueAndGradient(images, scratch);
      values = result.scores;
      const g = result.gradient;
      for (let i = 0; i < gradient.length; i++) gradient[i] = gradient[i]! + weight * g[i]!;
    } else {
      values = await reward.evaluate(images);
      if (gradient && weight !== 0) withoutGradient.push(reward.id);
    }
    if (values.length !== images.batch) {
      throw new RangeError(
        `rewards: "${reward.id}" returned ${values.length} scores for ${images.batch} images.`,
      );
    }
    scores[reward.id] = values;
    for (let b = 0; b < total.length; b++) total[b] = total[b]! + weight * values[b]!;
  }
  return { scores, total, gradient, withoutGradient };
}
