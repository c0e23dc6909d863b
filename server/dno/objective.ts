/**
 * The DNO objective of one iteration, per image b of the batch (each image has its own noise z_b):
 *
 *   objective_b = Σ_r w_r·r_b(x_b) − Σ_keeper weight·max(0, floor − r_keeper,b) − Σ_image guards penalty_i(x_b)
 *                 − Σ_guards penalty_g(z_b)
 *   loss_b      = −objective_b        (optimizers minimize; see optimizers/optimizer.ts)
 *
 * It is computed in two stages around the executor's backward pass:
 *   1. `evaluateRewardStage(images)`: reward scores, keeper floors, image guards (prompt keeper, image
 *      trust region: penalties on the picture), and the image cotangent
 *      ∂objective_b/∂x_b = Σ_r w_r·∂r/∂x + keeperWeight_b·∂r_keeper/∂x − Σ_i ∂penalty_i/∂x (differentiable
 *      rewards only; the others are listed for an estimator). The executor pulls this back to ∂objective/∂z_b through
 *      the VAE decoder and sampler VJPs (or an estimator provides it).
 *   2. `applyNoiseGuards(z_b, rewardGradient_b)`: PR / norm prior / trust-region penalties and the final
 *      loss gradient  −∂objective/∂z_b = −rewardGradient_b + Σ_g ∂penalty_g/∂z_b.
 * Then the optimizer steps on the loss gradient, trust regions project (`projectIntoTrustRegions`), and
 * `iterationMetrics` assembles the record that a RunStep row stores.
 */
import type { GuardReport, NoisePenaltyGuard } from "./guards/guard";
import type { ImagePenaltyGuard } from "./guards/image-guard";
import type { KeeperFloorGuard, KeeperFloorReport } from "./guards/keeper-floor";
import { type PrMeter, prBand } from "./guards/pr-calibration";
import { TrustRegionGuard } from "./guards/trust-region";
import type { ImageBatch, Reward } from "./rewards/reward";
import type { WeightedReward } from "./rewards/weighted-sum";
import type { FloatArray } from "./tensor";

/**
 * A guard that adds a penalty or pulls the noise back counts as having fired only when it changed the
 * update by at least this share of what the rewards asked for (METHOD.md §5, "How much a guard changed the
 * update"): a penalty that is active but moves the update by under 5 % only measured.
 */
export const MATERIAL_CHANGE = 0.05;

/** PR's report key: it fires from its calibrated percentile (METHOD.md §5), and its change is reported beside. */
export const PR_GUARD_ID = "probability-regularization";

function squaredNorm(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]! * values[i]!;
  return sum;
}

/**
 * The report with its measured change (a share; see GuardReport.change). Unless `keepFired` (PR, which fires
 * from its calibrated percentile), an active guard fired only when the change is material; a stop always is.
 * Without a measurable change (the rewards gave no direction) the guard's own verdict stands.
 */
export function withMeasuredChange<R extends GuardReport>(
  report: R,
  part: number,
  rewards: number,
  keepFired = false,
): R {
  if (!(rewards > 0) || !Number.isFinite(part) || !Number.isFinite(rewards)) return report;
  const change = part / rewards;
  if (keepFired) return { ...report, change };
  return { ...report, change, fired: report.stop === true || (report.fired && change >= MATERIAL_CHANGE) };
}

export interface ObjectiveConfig {
  rewards: readonly WeightedReward[];
  /** Keeper floors; each names a reward of `rewards` (add it with weight 0 to keep it without maximizing it). */
  keeperFloors?: readonly KeeperFloorGuard[];
  noiseGuards?: readonly NoisePenaltyGuard[];
  /** Penalties on the decoded picture (differentiable like rewards; subtracted from the objective). */
  imageGuards?: readonly ImagePenaltyGuard[];
}

export interface RewardStage {
  /** Per reward id, one unweighted score per image. */
  scores: Record<string, Float64Array>;
  /** Σ w·r per image (before keeper penalties). */
  weightedTotal: Float64Array;
  keeperReports: Record<string, KeeperFloorReport>;
  /** The image guards' reports, by guard id. */
  imageGuardReports: Record<string, GuardReport>;
  /** Σ of the penalties computed on the picture per image: keeper floors and image guards. */
  keeperPenalty: Float64Array;
  /** ∂objective_b/∂image_b over the differentiable rewards (when asked for). */
  imageCotangent?: Float32Array;
  /** Rewards with nonzero weight (or an active keeper) that have no gradient: they need an estimator. */
  withoutGradient: string[];
  /** A keeper in stop mode fell below its floor. */
  stop: boolean;
  /**
   * For measuring how much the keepers and image guards changed the update (with a gradient only):
   * Σ_r w_r·∂r/∂x of the differentiable rewards alone, and the norm of each keeper's and image guard's part
   * of the image cotangent, by report id. With rewards left to an estimator, their reports are measured once
   * the estimator's direction is known (`measureImageGuardChanges`).
   */
  changeParts?: { rewardPart: Float64Array; partNorms: Record<string, number> };
}

/** Checks the configuration once, before a run starts: every error at once, naming the part to fix. */
export function validateObjectiveConfig(config: ObjectiveConfig): string[] {
  const problems: string[] = [];
  const ids = new Map<string, Reward>();
  for (const { reward, weight } of config.rewards) {
    if (ids.has(reward.id)) problems.push(`reward "${reward.id}" appears twice; merge them into one weight.`);
    ids.set(reward.id, reward);
    if (!Number.isFinite(weight)) problems.push(`reward "${reward.id}" has a non-finite weight ${weight}.`);
  }
  if (config.rewards.length === 0)
    problems.push("the objective has no reward; connect at least one Reward node.");
  for (const keeper of config.keeperFloors ?? []) {
    if (!ids.has(keeper.rewardId)) {
      problems.push(
        `keeper floor names reward "${keeper.rewardId}", which is not in the objective; add it (weight 0 is fine).`,
      );
    }
  }
  const guardIds = new Set<string>();
  for (const guard of [...(config.noiseGuards ?? []), ...(config.imageGuards ?? [])]) {
    if (guardIds.has(guard.id)) problems.push(`guard "${guard.id}" appears twice.`);
    guardIds.add(guard.id);
  }
  return problems;
}

export async function evaluateRewardStage(
  config: ObjectiveConfig,
  images: ImageBatch,
  options: {
    withGradient?: boolean;
    cotangentOut?: Float32Array;
    /** The run's starting images (iteration 0), aligned with `images`: the image trust region's centre. */
    startImages?: ImageBatch | null;
  } = {},
): Promise<RewardStage> {
  const batch = images.batch;
  const scores: Record<string, Float64Array> = {};
  const gradients: Record<string, Float32Array> = {};
  const keepers = config.keeperFloors ?? [];
  const keptIds = new Set(keepers.map((keeper) => keeper.rewardId));
  for (const { reward, weight } of config.rewards) {
    const needsGradient =
      options.withGradient === true && reward.differentiable && (weight !== 0 || keptIds.has(reward.id));
    if (needsGradient && reward.valueAndGradient) {
      const result = await reward.valueAndGradient(images);
      scores[reward.id] = result.scores;
      gradients[reward.id] = result.gradient;
    } else {
      scores[reward.id] = await reward.evaluate(images);
    }
    if (scores[reward.id]!.length !== batch) {
      throw new RangeError(
        `objective: reward "${reward.id}" returned ${scores[reward.id]!.length} scores for ${batch} images.`,
      );
    }
  }

  const weightedTotal = new Float64Array(batch);
  // Per reward, per image: the weight of its gradient in ∂objective/∂x (reward weight + active keeper weight).
  const gradientWeights: Record<string, Float64Array> = {};
  for (const { reward, weight } of config.rewards) {
    const values = scores[reward.id]!;
    for (let b = 0; b < batch; b++) weightedTotal[b] = weightedTotal[b]! + weight * values[b]!;
    gradientWeights[reward.id] = new Float64Array(batch).fill(weight);
  }
  const keeperReports: Record<string, KeeperFloorReport> = {};
  const keeperPenalty = new Float64Array(batch);
  let stop = false;
  for (const keeper of keepers) {
    const values = scores[keeper.rewardId];
    if (!values) {
      throw new RangeError(
        `objective: keeper floor names reward "${keeper.rewardId}", which is not in the objective.`,
      );
    }
    const report = keeper.evaluate(values);
    keeperReports[keeper.id] = report;
    stop ||= report.stop === true;
    const weights = gradientWeights[keeper.rewardId]!;
    for (let b = 0; b < batch; b++) {
      const w = report.rewardGradientWeights[b]!;
      if (w !== 0) {
        keeperPenalty[b] = keeperPenalty[b]! + w * (keeper.floor - values[b]!);
        weights[b] = weights[b]! + w;
      }
    }
  }

  const imageGuardReports: Record<string, GuardReport> = {};
  const imageGuardGradients: Float32Array[] = [];
  const imageGuardGradientsById = new Map<string, Float32Array>();
  for (const guard of config.imageGuards ?? []) {
    const result = await guard.evaluate(images, {
      start: options.startImages ?? null,
      withGradient: options.withGradient === true,
    });
    imageGuardReports[guard.id] = result.report;
    for (let b = 0; b < batch; b++) keeperPenalty[b] = keeperPenalty[b]! + result.penalties[b]!;
    if (result.gradient) {
      imageGuardGradients.push(result.gradient);
      imageGuardGradientsById.set(guard.id, result.gradient);
    }
  }

  const withoutGradient: string[] = [];
  let imageCotangent: Float32Array | undefined;
  if (options.withGradient) {
    imageCotangent = options.cotangentOut ?? new Float32Array(images.data.length);
    if (imageCotangent.length !== images.data.length) {
      throw new RangeError(
        `objective: cotangent buffer has ${imageCotangent.length} values, images ${images.data.length}.`,
      );
    }
    imageCotangent.fill(0);
    const perImage = images.data.length / batch;
    for (const { reward } of config.rewards) {
      const weights = gradientWeights[reward.id]!;
      if (weights.every((w) => w === 0)) continue;
      const gradient = gradients[reward.id];
      if (!gradient) {
        withoutGradient.push(reward.id);
        continue;
      }
      for (let b = 0; b < batch; b++) {
        const w = weights[b]!;
        if (w === 0) continue;
        const start = b * perImage;
        const end = start + perImage;
        for (let i = start; i < end; i++) imageCotangent[i] = imageCotangent[i]! + w * gradient[i]!;
      }
    }
    for (const gradient of imageGuardGradients) {
      for (let i = 0; i < imageCotangent.length; i++) imageCotangent[i] = imageCotangent[i]! - gradient[i]!;
    }
  }
  const stage: RewardStage = {
    scores,
    weightedTotal,
    keeperReports,
    imageGuardReports,
    keeperPenalty,
    imageCotangent,
    withoutGradient,
    stop,
  };
  if (options.withGradient && (keepers.length > 0 || imageGuardGradients.length > 0)) {
    // Measured apart from the cotangent (whose float operations stay as they were: runs reproduce).
    const rewardPart = new Float64Array(images.data.length);
    const perImage = images.data.length / batch;
    for (const { reward, weight } of config.rewards) {
      const gradient = gradients[reward.id];
      if (!gradient || weight === 0) continue;
      for (let i = 0; i < rewardPart.length; i++) rewardPart[i] = rewardPart[i]! + weight * gradient[i]!;
    }
    const partNorms: Record<string, number> = {};
    for (const keeper of keepers) {
      const gradient = gradients[keeper.rewardId];
      const weights = keeperReports[keeper.id]!.rewardGradientWeights;
      let sum = 0;
      for (let b = 0; b < batch; b++) {
        const w = weights[b]!;
        if (w === 0 || !gradient) continue;
        sum += w * w * squaredNorm(gradient.subarray(b * perImage, (b + 1) * perImage));
      }
      partNorms[keeper.id] = Math.sqrt(sum);
    }
    for (const guard of config.imageGuards ?? []) {
      const gradient = imageGuardGradientsById.get(guard.id);
      partNorms[guard.id] = gradient ? Math.sqrt(squaredNorm(gradient)) : 0;
    }
    stage.changeParts = { rewardPart, partNorms };
    if (withoutGradient.length === 0) measureImageGuardChanges(stage, null);
  }
  return stage;
}

/**
 * Sets the keepers' and image guards' `change` (and whether they fired) against the rewards' image-space
 * direction: the differentiable rewards' Σ w·∂r/∂x, plus, with an estimator, its image-space direction per
 * image (`estimated`, laid out like the images). The split is measured on the picture, not on the noise:
 * pulling each part back through the model separately would cost a second backward pass.
 */
export function measureImageGuardChanges(stage: RewardStage, estimated: Float32Array | null): void {
  const parts = stage.changeParts;
  if (!parts) return;
  let sum = 0;
  for (let i = 0; i < parts.rewardPart.length; i++) {
    const value = parts.rewardPart[i]! + (estimated ? estimated[i]! : 0);
    sum += value * value;
  }
  const rewards = Math.sqrt(sum);
  for (const [id, report] of Object.entries(stage.keeperReports))
    stage.keeperReports[id] = withMeasuredChange(report, parts.partNorms[id] ?? 0, rewards);
  for (const [id, report] of Object.entries(stage.imageGuardReports))
    stage.imageGuardReports[id] = withMeasuredChange(report, parts.partNorms[id] ?? 0, rewards);
}

export interface NoiseStage {
  reports: Record<string, GuardReport>;
  /** Σ of the guards' penalties. */
  penalty: number;
  /** The PR value when a PR guard ran (the reward-hacking meter), else null. */
  pr: number | null;
}

/**
 * Runs the noise guards on one image's noise z. With `lossGradientOut`, writes the loss gradient
 * −rewardGradient + Σ ∂penalty/∂z into it (rewardGradient = ∂(Σ w·r − keeper penalties)/∂z from the
 * backward pass or an estimator; null = guards only).
 */
export function applyNoiseGuards(
  guards: readonly NoisePenaltyGuard[],
  z: FloatArray,
  iteration: number,
  rewardGradient: FloatArray | null,
  lossGradientOut?: FloatArray,
): NoiseStage {
  if (lossGradientOut) {
    if (lossGradientOut.length !== z.length) {
      throw new RangeError(
        `objective: loss gradient buffer has ${lossGradientOut.length} values, z has ${z.length}.`,
      );
    }
    if (rewardGradient) {
      if (rewardGradient.length !== z.length) {
        throw new RangeError(
          `objective: reward gradient has ${rewardGradient.length} values, z has ${z.length}.`,
        );
      }
      for (let i = 0; i < z.length; i++) lossGradientOut[i] = -rewardGradient[i]!;
    } else {
      lossGradientOut.fill(0);
    }
  }
  const reports: Record<string, GuardReport> = {};
  let penalty = 0;
  let pr: number | null = null;
  const rewardNorm = rewardGradient && lossGradientOut ? Math.sqrt(squaredNorm(rewardGradient)) : 0;
  for (const guard of guards) {
    // What the guard adds to the loss gradient, measured on a copy (the sum itself is left as it was).
    const before = rewardNorm > 0 ? Float64Array.from(lossGradientOut!) : null;
    let report = guard.evaluate(z, iteration, lossGradientOut);
    if (before) {
      let sum = 0;
      for (let i = 0; i < before.length; i++) {
        const delta = lossGradientOut![i]! - before[i]!;
        sum += delta * delta;
      }
      report = withMeasuredChange(report, Math.sqrt(sum), rewardNorm, guard.id === PR_GUARD_ID);
    }
    reports[guard.id] = report;
    penalty += report.penalty ?? 0;
    if (guard.id === PR_GUARD_ID) pr = report.value;
  }
  return { reports, penalty, pr };
}

/** After the optimizer's update: projects z into every trust region in project mode. */
export function projectIntoTrustRegions(
  guards: readonly NoisePenaltyGuard[],
  z: FloatArray,
  /** z before the optimizer's step: the projection's change is its pull-back over the step's length. */
  beforeStep?: FloatArray,
): Record<string, GuardReport> {
  const reports: Record<string, GuardReport> = {};
  for (const guard of guards) {
    if (!(guard instanceof TrustRegionGuard && guard.mode === "project")) continue;
    const stepped = beforeStep ? Float64Array.from(z) : null;
    let report = guard.project(z);
    if (stepped && beforeStep) {
      let pulled = 0;
      let step = 0;
      for (let i = 0; i < z.length; i++) {
        pulled += (stepped[i]! - z[i]!) ** 2;
        step += (stepped[i]! - beforeStep[i]!) ** 2;
      }
      report = withMeasuredChange(report, Math.sqrt(pulled), Math.sqrt(step));
    }
    reports[`${guard.id}:projection`] = report;
  }
  return reports;
}

/** objective_b = weighted rewards − keeper penalties − noise penalties. */
export function objectiveValues(rewardStage: RewardStage, noiseStages: readonly NoiseStage[]): Float64Array {
  if (noiseStages.length !== rewardStage.weightedTotal.length) {
    throw new RangeError(
      `objective: ${noiseStages.length} noise stages for ${rewardStage.weightedTotal.length} images; run the guards once per image.`,
    );
  }
  return rewardStage.weightedTotal.map(
    (total, b) => total - rewardStage.keeperPenalty[b]! - noiseStages[b]!.penalty,
  );
}

/** What a RunStep row stores for one iteration. With a batch, numbers are means over its images. */
export interface IterationMetrics {
  iteration: number;
  rewards: Record<string, number>;
  /** `change`: how much the guard changed the update (GuardReport.change; with a batch, the largest). */
  guards: Record<string, { value: number; fired: boolean; change?: number }>;
  /** PR (mean over images) when a PR guard ran, else null. */
  pr: number | null;
  /**
   * The calibrated meter (METHOD.md §5) when a PR guard ran, else null; with a batch, the image with the
   * highest percentile.
   */
  prMeter: PrMeter | null;
  objective: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  ms: { forward: number; backward: number; rewards: number; guards: number; update: number };
}

export function iterationMetrics(input: {
  iteration: number;
  rewardStage: RewardStage;
  noiseStages: readonly NoiseStage[];
  /** Guards evaluated outside the stages (plateau stop, best iterate, projections). */
  otherGuards?: Record<string, GuardReport>;
  gradNorm: number;
  ms: IterationMetrics["ms"];
}): IterationMetrics {
  const { rewardStage, noiseStages } = input;
  const mean = (values: ArrayLike<number>): number => {
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += values[i]!;
    return values.length > 0 ? sum / values.length : Number.NaN;
  };
  const rewards: Record<string, number> = {};
  for (const [id, values] of Object.entries(rewardStage.scores)) rewards[id] = mean(values);
  const guards: IterationMetrics["guards"] = {};
  const entry = (report: GuardReport) => ({
    value: report.value,
    fired: report.fired,
    ...(report.change !== undefined ? { change: report.change } : {}),
  });
  for (const [id, report] of Object.entries(rewardStage.keeperReports)) guards[id] = entry(report);
  for (const [id, report] of Object.entries(rewardStage.imageGuardReports)) guards[id] = entry(report);
  const guardIds = new Set(noiseStages.flatMap((stage) => Object.keys(stage.reports)));
  for (const id of guardIds) {
    const reports = noiseStages
      .map((stage) => stage.reports[id])
      .filter((r): r is GuardReport => r !== undefined);
    const changes = reports.map((r) => r.change).filter((c): c is number => c !== undefined);
    guards[id] = {
      value: mean(reports.map((r) => r.value)),
      fired: reports.some((r) => r.fired),
      ...(changes.length > 0 ? { change: Math.max(...changes) } : {}),
    };
  }
  for (const [id, report] of Object.entries(input.otherGuards ?? {})) guards[id] = entry(report);
  const prValues = noiseStages.map((stage) => stage.pr).filter((v): v is number => v !== null);
  return {
    iteration: input.iteration,
    rewards,
    guards,
    pr: prValues.length > 0 ? mean(prValues) : null,
    prMeter: highestMeter(noiseStages),
    objective: mean(objectiveValues(rewardStage, noiseStages)),
    gradNorm: input.gradNorm,
    ms: input.ms,
  };
}

/** The PR guard's calibrated reading (its report's detail) of the image with the highest percentile. */
function highestMeter(noiseStages: readonly NoiseStage[]): PrMeter | null {
  let best: PrMeter | null = null;
  for (const stage of noiseStages) {
    const detail = stage.reports["probability-regularization"]?.detail;
    const percentile = detail?.percentile;
    if (detail === undefined || percentile === undefined) continue;
    if (best && best.percentile >= percentile) continue;
    best = {
      percentile,
      band: prBand(percentile),
      driftingFrom: detail.driftingFrom ?? Number.NaN,
      firesFrom: detail.firesFrom ?? Number.NaN,
    };
  }
  return best;
}
