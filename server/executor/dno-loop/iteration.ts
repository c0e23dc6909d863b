/**
 * One iteration of the DNO loop, as named phases:
 *   forward   sample the current noise (x_T … x_0 kept as checkpoints) and decode the image
 *   rewards   every Reward (weighted sum), keeper floors and image guards, with ∂objective/∂image where
 *             differentiable
 *   backward  the exact reverse chain (VAE VJP, per-step CFG UNet VJPs), or the Optimizer's estimator
 *   guards    PR (the reward-hacking meter), norm prior, trust region: penalties and their gradients;
 *             the loop guards (early stop, keep best)
 *   update    gradient normalization or clip, the scheduled learning rate, optimizer step
 *             (Adam/AdamW/SGD-Nesterov), trust-region projection
 * The order of every floating-point operation is part of the contract: a resumed run reproduces an
 * uninterrupted one bit for bit.
 */
import type { GuardReport } from "@/server/dno/guards/guard";
import type { ProbabilityRegularizationPool } from "@/server/dno/guards/probability-regularization-pool";
import { ProbabilityRegularizationGuard } from "@/server/dno/guards/probability-regularization-guard";
import { TrustRegionGuard } from "@/server/dno/guards/trust-region";
import {
  applyNoiseGuards,
  evaluateRewardStage,
  iterationMetrics,
  measureImageGuardChanges,
  PR_GUARD_ID,
  withMeasuredChange,
  type NoiseStage,
  type RewardStage,
  projectIntoTrustRegions,
} from "@/server/dno/objective";
import { clipGradientNorm } from "@/server/dno/optimizers/index";
import { normalizeGradient, scheduledLearningRate } from "@/server/dno/optimizers/schedule";
import type { ImageBatch } from "@/server/dno/rewards/reward";
import { estimateDirection } from "@/server/kinds/gradient-estimators";
import type { ImageTensor } from "@/server/models/image";
import type { ChainForward } from "../chain";
import { copyImage, restoreCheckpointImages } from "./checkpoint";
import type { DnoCheckpoint, IterationRecord, LoopState, RunSetup, StopReason } from "./types";

/** What the estimators and the backward pass of one iteration share; set as the iteration goes. */
interface IterationScratch {
  readonly iteration: number;
  forward: ChainForward | null;
  imageCotangent: Float32Array | undefined;
  /** Rewards without a gradient this iteration (the estimator's black box). */
  blackBox: Set<string>;
  /** The estimator's image-space directions, laid out like the images (to measure what the guards changed). */
  estimated: Float32Array | null;
}

type PhaseTimings = { forward: number; backward: number; rewards: number; guards: number; update: number };

interface PooledPr {
  readonly guard: ProbabilityRegularizationGuard;
  readonly report: Promise<GuardReport>;
  readonly gradient: Float32Array;
}

/** PR on the pool, started now: it only needs z, which stays unchanged until the update. */
function startPooledPr(
  setup: RunSetup,
  state: LoopState,
  iteration: number,
  pool: ProbabilityRegularizationPool | undefined,
): (PooledPr | null)[] {
  return setup.zs.map((z, b) => {
    const guard = setup.noiseGuards[b]!.find((g) => g instanceof ProbabilityRegularizationGuard);
    if (!pool || !guard) return null;
    const gradient = state.prGradients[b]!.fill(0);
    const report = guard.evaluateOnPool(pool, z, iteration, gradient);
    // If the model pass fails first, this promise is never awaited: keep its rejection handled.
    report.catch(() => {});
    return { guard, report, gradient };
  });
}

/** Pulls an image cotangent back to the noise: the whole batch (index null) or image `index` alone. */
async function backprop(
  setup: RunSetup,
  state: LoopState,
  scratch: IterationScratch,
  cotangent: Float32Array,
  index: number | null,
): Promise<void> {
  const { chain, layout, batch } = setup;
  const forward = scratch.forward;
  if (!forward) throw new Error("backprop before the forward pass");
  const rows = index === null ? batch : 1;
  const L = layout.latent;
  const latents =
    index === null
      ? forward.latents
      : forward.latents.map((latent) => latent.subarray(index * L, (index + 1) * L));
  const x0 = latents[latents.length - 1]!;
  const x0Gradient = await chain.decoderBackward(x0, rows, cotangent);
  const gradient = await chain.samplerBackward(
    await setup.conditioningFor(rows),
    latents,
    x0Gradient,
    setup.settings,
    { stepNoiseGradients: layout.optimizeSteps, signal: setup.signal },
  );
  state.evaluations.vjp += rows;
  if (index === null)
    for (let b = 0; b < batch; b++)
      layout.gather(gradient.xT, gradient.stepNoises, b, state.rewardGradients[b]!);
  else layout.gather(gradient.xT, gradient.stepNoises, 0, state.rewardGradients[index]!);
}

/** Image b of the run's starting images (the image trust region's centre), once iteration 0 has run. */
function startImageOf(state: LoopState, b: number): ImageBatch | null {
  const start = state.initialImage;
  if (!start) return null;
  const perImage = 3 * start.height * start.width;
  const data = start.data.subarray(b * perImage, (b + 1) * perImage);
  return { data, batch: 1, channels: 3, height: start.height, width: start.width };
}

/** The generator an estimator sees for image b: forward passes, black-box rewards and the VJP. */
function generatorFor(setup: RunSetup, state: LoopState, scratch: IterationScratch, b: number) {
  const single = (data: Float32Array): ImageBatch => ({
    data,
    batch: 1,
    channels: 3,
    height: state.imageDims!.height,
    width: state.imageDims!.width,
  });
  return {
    async forwardMany(points: readonly Float32Array[]): Promise<Float32Array[]> {
      const assembled = setup.layout.assemble(
        points,
        points.map(() => b),
      );
      const result = await setup.chain.forward(
        await setup.conditioningFor(points.length),
        assembled.xT,
        assembled.stepNoises,
        setup.settings,
        setup.signal,
      );
      state.evaluations.forward += points.length;
      state.imageDims = { height: result.image.height, width: result.image.width };
      const perImage = 3 * result.image.height * result.image.width;
      return points.map((_, p) => result.image.data.slice(p * perImage, (p + 1) * perImage));
    },
    async forward(z: Float32Array): Promise<Float32Array> {
      return (await this.forwardMany([z]))[0]!;
    },
    async reward(data: Float32Array): Promise<number> {
      if (setup.estimates === "everything") {
        const stage = await evaluateRewardStage(setup.config, single(data), {
          startImages: startImageOf(state, b),
        });
        return stage.weightedTotal[0]! - stage.keeperPenalty[0]!;
      }
      let total = 0;
      for (const { reward, weight } of setup.config.rewards) {
        if (!scratch.blackBox.has(reward.id)) continue;
        total += weight * (await reward.evaluate(single(data)))[0]!;
      }
      return total;
    },
    async vjp(_z: Float32Array, direction: Float32Array): Promise<Float32Array> {
      // The black-box direction plus the exact image gradient of the differentiable rewards.
      const cotangent = Float32Array.from(direction);
      scratch.estimated?.set(direction, b * direction.length);
      const imageCotangent = scratch.imageCotangent;
      if (imageCotangent) {
        const perImage = cotangent.length;
        for (let i = 0; i < perImage; i++) cotangent[i] = cotangent[i]! + imageCotangent[b * perImage + i]!;
      }
      await backprop(setup, state, scratch, cotangent, b);
      return Float32Array.from(state.rewardGradients[b]!);
    },
  };
}

/**
 * Forward. Zeroth-order: z itself is the estimator's first point, so the estimate (run here, as one batch
 * with its perturbations) also gives this iteration's image; its time counts as backward.
 */
async function forwardPhase(
  setup: RunSetup,
  state: LoopState,
  scratch: IterationScratch,
  ms: PhaseTimings,
): Promise<ImageTensor> {
  const { batch, zs, params, plan } = setup;
  const mark = performance.now();
  if (setup.estimates === "everything") {
    const parts: Float32Array[] = [];
    for (let b = 0; b < batch; b++) {
      const estimate = await estimateDirection(plan.estimator)(
        generatorFor(setup, state, scratch, b),
        zs[b]!,
        {
          perturbations: params.perturbations,
          smoothing: params.smoothing,
          seed: plan.seeds[b]!,
          iteration: scratch.iteration,
        },
      );
      state.rewardGradients[b]!.set(estimate.gradient);
      parts.push(estimate.image);
    }
    const data = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
    parts.forEach((part, b) => {
      data.set(part, b * part.length);
    });
    ms.backward = performance.now() - mark;
    return { batch, channels: 3, height: state.imageDims!.height, width: state.imageDims!.width, data };
  }
  const { xT, stepNoises } = setup.layout.assemble(
    zs,
    zs.map((_, b) => b),
  );
  // Store mode keeps this forward's UNet activations for the backward (the chain ignores it otherwise).
  scratch.forward = await setup.chain.forward(
    setup.conditioning,
    xT,
    stepNoises,
    setup.settings,
    setup.signal,
    { keepActivations: true },
  );
  state.evaluations.forward += batch;
  const image = scratch.forward.image;
  state.imageDims = { height: image.height, width: image.width };
  ms.forward = performance.now() - mark;
  return image;
}

/** Rewards, then backward: the reward part of ∂objective/∂z_b into rewardGradients[b]. */
async function rewardAndBackwardPhase(
  setup: RunSetup,
  state: LoopState,
  scratch: IterationScratch,
  image: ImageTensor,
  ms: PhaseTimings,
): Promise<RewardStage> {
  const { batch, zs, params, plan } = setup;
  const estimates = setup.estimates;
  let mark = performance.now();
  const images: ImageBatch = {
    data: image.data,
    batch,
    channels: 3,
    height: image.height,
    width: image.width,
  };
  const rewardStage = await evaluateRewardStage(setup.config, images, {
    withGradient: estimates !== "everything",
    startImages: state.initialImage,
  });
  ms.rewards = performance.now() - mark;

  mark = performance.now();
  scratch.blackBox = new Set(rewardStage.withoutGradient);
  scratch.imageCotangent = rewardStage.imageCotangent;
  if (estimates === "everything") {
    // Estimated in the forward phase.
  } else if (estimates === "rewards-without-gradient" && scratch.blackBox.size > 0) {
    scratch.estimated = rewardStage.changeParts ? new Float32Array(image.data.length) : null;
    for (let b = 0; b < batch; b++) {
      const estimate = await estimateDirection(plan.estimator)(
        generatorFor(setup, state, scratch, b),
        zs[b]!,
        {
          perturbations: params.perturbations,
          smoothing: params.smoothing,
          seed: plan.seeds[b]!,
          iteration: scratch.iteration,
          image: image.data.slice(
            b * 3 * image.height * image.width,
            (b + 1) * 3 * image.height * image.width,
          ),
        },
      );
      state.rewardGradients[b]!.set(estimate.gradient);
    }
    measureImageGuardChanges(rewardStage, scratch.estimated);
  } else if (scratch.imageCotangent?.some((value) => value !== 0)) {
    await backprop(setup, state, scratch, scratch.imageCotangent, null);
  }
  ms.backward += performance.now() - mark;
  return rewardStage;
}

interface GuardOutcome {
  readonly noiseStages: NoiseStage[];
  readonly otherGuards: Record<string, GuardReport>;
  readonly stop: StopReason | null;
  readonly isBest: boolean;
}

/** Guards on the noise (penalties, PR, the loss gradient −∂objective/∂z), then the loop guards. */
async function guardPhase(
  setup: RunSetup,
  state: LoopState,
  iteration: number,
  pooledPr: readonly (PooledPr | null)[],
  rewardStage: RewardStage,
  image: ImageTensor,
): Promise<GuardOutcome> {
  const noiseStages: NoiseStage[] = [];
  for (const [b, z] of setup.zs.entries()) {
    const pooled = pooledPr[b];
    const guards = setup.noiseGuards[b]!;
    const inline = pooled ? guards.filter((g) => g !== pooled.guard) : guards;
    const lossGradient = state.lossGradients[b]!;
    const stage = applyNoiseGuards(inline, z, iteration, state.rewardGradients[b]!, lossGradient);
    if (pooled) {
      const report = await pooled.report;
      for (let i = 0; i < lossGradient.length; i++) lossGradient[i] = lossGradient[i]! + pooled.gradient[i]!;
      let part = 0;
      let rewards = 0;
      for (let i = 0; i < lossGradient.length; i++) {
        part += pooled.gradient[i]! * pooled.gradient[i]!;
        rewards += state.rewardGradients[b]![i]! * state.rewardGradients[b]![i]!;
      }
      stage.reports[pooled.guard.id] = withMeasuredChange(
        report,
        Math.sqrt(part),
        Math.sqrt(rewards),
        pooled.guard.id === PR_GUARD_ID,
      );
      stage.penalty += report.penalty ?? 0;
      stage.pr = report.value;
    }
    noiseStages.push(stage);
  }
  const objectives = rewardStage.weightedTotal.map(
    (total, b) => total - rewardStage.keeperPenalty[b]! - noiseStages[b]!.penalty,
  );
  const objective = objectives.reduce((sum, value) => sum + value, 0) / setup.batch;
  const otherGuards: Record<string, GuardReport> = {};
  let stop: StopReason | null = rewardStage.stop ? "keeper-floor" : null;
  if (setup.plateau) {
    const report = setup.plateau.update(objective);
    otherGuards[setup.plateau.id] = report;
    if (report.stop) stop ??= "early-stop";
  }
  const isBest = state.best === null || objective > state.best.score;
  if (isBest)
    state.best = {
      iteration,
      score: objective,
      noise: setup.zs.map((z) => Float32Array.from(z)),
      image: copyImage(image),
    };
  if (setup.keepBest) {
    otherGuards["best-iterate"] = {
      value: state.best!.score,
      fired: isBest,
      detail: { bestIteration: state.best!.iteration },
    };
  }
  return { noiseStages, otherGuards, stop, isBest };
}

/**
 * Update (not after the last evaluation, nor when a guard stops the run); returns the gradient norm.
 * Order: normalize (if asked) or else clip, the scheduled learning rate of this iteration, the step.
 */
function updatePhase(
  setup: RunSetup,
  state: LoopState,
  iteration: number,
  last: boolean,
  otherGuards: Record<string, GuardReport>,
): number {
  let gradNormSquared = 0;
  for (const gradient of state.lossGradients) {
    let sum = 0;
    for (let i = 0; i < gradient.length; i++) sum += gradient[i]! * gradient[i]!;
    gradNormSquared += sum;
  }
  if (!last) {
    const { params } = setup;
    for (const gradient of state.lossGradients) {
      // A normalized direction has a fixed size already: the clip would only undo the normalization.
      if (params.normalizeGradient) normalizeGradient([gradient]);
      else clipGradientNorm([gradient], params.gradClip);
    }
    setup.optimizer.learningRate = scheduledLearningRate(
      params.learningRate,
      params.schedule,
      iteration,
      setup.iterations,
    );
    // z before the step, only when a trust region projects: its change is measured against the step.
    const projects = setup.noiseGuards.some((guards) =>
      guards.some((guard) => guard instanceof TrustRegionGuard && guard.mode === "project"),
    );
    const beforeStep = projects ? setup.zs.map((z) => Float32Array.from(z)) : [];
    setup.optimizer.step(setup.zs, state.lossGradients);
    for (const [b, z] of setup.zs.entries())
      Object.assign(otherGuards, projectIntoTrustRegions(setup.noiseGuards[b]!, z, beforeStep[b]));
  }
  return Math.sqrt(gradNormSquared);
}

export interface IterationOutcome {
  readonly record: IterationRecord;
  readonly image: ImageTensor;
  readonly isBest: boolean;
  /** Why a guard ends the run after this iteration, if one does. */
  readonly stop: StopReason | null;
  /** No update followed: the last planned iteration, or a guard stopped the run. */
  readonly last: boolean;
}

/** Runs iteration `iteration` and appends its record to the history. */
export async function runIteration(
  setup: RunSetup,
  state: LoopState,
  iteration: number,
  extras: { prPool?: ProbabilityRegularizationPool; resume?: DnoCheckpoint },
): Promise<IterationOutcome> {
  const started = performance.now();
  const onnxBefore = setup.env.onnx.stats().runMs;
  const pooledPr = startPooledPr(setup, state, iteration, extras.prPool);
  for (const gradient of state.rewardGradients) gradient.fill(0);
  const scratch: IterationScratch = {
    iteration,
    forward: null,
    imageCotangent: undefined,
    blackBox: new Set(),
    estimated: null,
  };
  const ms: PhaseTimings = { forward: 0, backward: 0, rewards: 0, guards: 0, update: 0 };

  const image = await forwardPhase(setup, state, scratch, ms);
  restoreCheckpointImages(setup, state, extras.resume, image);
  const rewardStage = await rewardAndBackwardPhase(setup, state, scratch, image, ms);

  let mark = performance.now();
  const { noiseStages, otherGuards, stop, isBest } = await guardPhase(
    setup,
    state,
    iteration,
    pooledPr,
    rewardStage,
    image,
  );
  ms.guards = performance.now() - mark;

  mark = performance.now();
  const last = iteration === setup.iterations - 1 || stop !== null;
  const gradNorm = updatePhase(setup, state, iteration, last, otherGuards);
  ms.update = performance.now() - mark;

  const metrics = iterationMetrics({ iteration, rewardStage, noiseStages, otherGuards, gradNorm, ms });
  const record: IterationRecord = {
    ...metrics,
    evaluations: { ...state.evaluations },
    onnxMs: setup.env.onnx.stats().runMs - onnxBefore,
    totalMs: performance.now() - started,
  };
  state.history.push(record);
  state.lastImage = image;
  state.ranThisCall++;
  return { record, image, isBest, stop, last };
}
