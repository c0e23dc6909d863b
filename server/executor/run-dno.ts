/**
 * The DNO loop (DESIGN.md §1–2). Per iteration:
 *   forward   sample the current noise (x_T … x_0 kept as checkpoints) and decode the image
 *   rewards   every Reward (weighted sum) and keeper floors, with ∂objective/∂image where differentiable
 *   backward  the exact reverse chain (VAE VJP, per-step CFG UNet VJPs), or the Optimizer's estimator
 *   guards    PR (the reward-hacking meter), norm prior, trust region: penalties and their gradients
 *   update    gradient clip, optimizer step (Adam/AdamW/SGD-Nesterov), trust-region projection
 * and then hands an iteration record and the image to `onIteration` — no database here: the worker
 * persists RunStep rows and streams them. Each image of a batch has its own contiguous noise vector
 * z_b = (x_T, z_T … z_1) and is optimized on its own (clipping is per image); the chain runs the batch together.
 *
 * `iterations` counts evaluations: iteration k evaluates the noise after k updates, and the last one is
 * not followed by an update (so every recorded number belongs to an image the user can see).
 * Reproducible: the same plan, model files and seeds give the same numbers (PR permutations and estimator
 * perturbations are seeded by (seed, iteration)); a checkpoint taken after any iteration resumes to the
 * same numbers as an uninterrupted run.
 */
import { createHash } from "node:crypto";
import type { ConditioningValue, NodeRunContext, NoiseTensors, NoiseValue } from "@/nodes/context";
import { getNodeDefinition } from "@/nodes/registry";
import { hybridEstimate } from "@/server/dno/estimators/hybrid";
import { zerothOrderEstimate } from "@/server/dno/estimators/zeroth-order";
import type { GuardReport, NoisePenaltyGuard } from "@/server/dno/guards/guard";
import type { PlateauStopGuard } from "@/server/dno/guards/plateau-stop";
import type { ProbabilityRegularizationPool } from "@/server/dno/guards/probability-regularization-pool";
import { ProbabilityRegularizationGuard } from "@/server/dno/guards/probability-regularization-guard";
import {
  applyNoiseGuards,
  evaluateRewardStage,
  type IterationMetrics,
  iterationMetrics,
  type NoiseStage,
  type ObjectiveConfig,
  projectIntoTrustRegions,
} from "@/server/dno/objective";
import {
  clipGradientNorm,
  createOptimizer,
  type Optimizer,
  type OptimizerConfig,
  type OptimizerStateSnapshot,
} from "@/server/dno/optimizers/index";
import type { ImageBatch } from "@/server/dno/rewards/reward";
import type { ImageTensor } from "@/server/models/image";
import type { Conditioning } from "@/server/models/sampler";
import { type ChainForward, DiffusionChain, type SamplerSettings } from "./chain";
import type { ExecutorEnvironment } from "./environment";
import { ExecutorError, throwIfAborted } from "./errors";
import { buildNoiseGuards, buildPlateauStop, buildRewards, objectiveConfig } from "./objective-parts";
import type { RunPlan } from "./plan";

/** One row of the run history (what a RunStep stores), plus the counters the estimators compare on. */
export interface IterationRecord extends IterationMetrics {
  /** Chain passes so far, summed over the batch: forward (sample + decode) and VJP (the reverse chain). */
  evaluations: { forward: number; vjp: number };
  /** Time inside ONNX Runtime during this iteration. */
  onnxMs: number;
  /** Wall time of the whole iteration. */
  totalMs: number;
}

export interface IterationEvent {
  readonly record: IterationRecord;
  /** The image this record scores ([B, 3, H, W] in [−1, 1]). */
  readonly image: ImageTensor;
  /** Whether it is the best so far (by the objective, mean over the batch). */
  readonly isBest: boolean;
}

export type StopReason = "completed" | "early-stop" | "keeper-floor" | "paused";

export interface DnoCheckpoint {
  format: "dno-studio.checkpoint";
  version: 1;
  /**
   * sha256 of the workflow document, the seeds and the model files' hashes: a checkpoint resumes only the
   * run it came from (the same numbers need the same model files).
   */
  fingerprint: string;
  nextIteration: number;
  noise: number[][];
  optimizer: OptimizerStateSnapshot;
  plateau: { best: number | null; stale: number } | null;
  best: { iteration: number; score: number; noise: number[][]; image: number[] } | null;
  initialImage: number[] | null;
  history: IterationRecord[];
  evaluations: { forward: number; vjp: number };
}

export interface DnoResult {
  readonly history: readonly IterationRecord[];
  readonly initialImage: ImageTensor;
  readonly finalImage: ImageTensor;
  readonly bestImage: ImageTensor;
  readonly bestIteration: number;
  /** What the Optimizer outputs: the best image with a keep-best guard, else the final one. */
  readonly resultImage: ImageTensor;
  readonly stopReason: StopReason;
  readonly checkpoint: DnoCheckpoint;
  readonly evaluations: { forward: number; vjp: number };
  /** sha256 of the model files the run used (with the workflow and seeds, they determine the numbers). */
  readonly modelHashes: Readonly<Record<string, string>>;
}

export interface RunDnoOptions {
  readonly plan: RunPlan;
  readonly env: ExecutorEnvironment;
  readonly signal?: AbortSignal;
  readonly onIteration?: (event: IterationEvent) => void | Promise<void>;
  /** Called after every iteration with a checkpoint (serializable; JSON round-trips exactly). */
  readonly onCheckpoint?: (checkpoint: DnoCheckpoint) => void | Promise<void>;
  readonly resume?: DnoCheckpoint;
  /**
   * Worker pool for probability regularization: PR (which depends only on z) then runs on other cores
   * while the model runs forward and backward, instead of after them. The caller owns and closes it.
   */
  readonly prPool?: ProbabilityRegularizationPool;
  /** Stop (reason "paused") after this many iterations of this call; the checkpoint resumes it. */
  readonly pauseAfter?: number;
  readonly log?: (message: string) => void;
}

export function planFingerprint(plan: RunPlan, modelHashes: Readonly<Record<string, string>>): string {
  return createHash("sha256")
    .update(
      JSON.stringify({
        nodes: plan.document.nodes,
        edges: plan.document.edges,
        seeds: plan.seeds,
        models: modelHashes,
      }),
    )
    .digest("hex");
}

function optimizerConfig(plan: RunPlan): OptimizerConfig {
  const params = plan.optimizer.params;
  if (params.algorithm === "sgd-nesterov") {
    return { kind: "sgd", learningRate: params.learningRate, momentum: params.momentum, nesterov: true };
  }
  return {
    kind: params.algorithm,
    learningRate: params.learningRate,
    beta1: params.betas[0],
    beta2: params.betas[1],
    // Weight decay is the AdamW field only; Adam runs without any (the reference's hidden default is a defect).
    weightDecay: params.algorithm === "adamw" ? params.weightDecay : 0,
  };
}

function copyImage(image: ImageTensor): ImageTensor {
  return { ...image, data: Float32Array.from(image.data) };
}

/** Layout of the optimized variables: z_b = (x_T, and z_t of every step when optimized), image after image. */
class NoiseLayout {
  constructor(
    readonly latent: number,
    readonly steps: number,
    readonly optimizeSteps: boolean,
    /** The seeded noise: x_T initial values and the per-step noises used when not optimized. */
    readonly seeded: NoiseTensors,
  ) {}

  get perImage(): number {
    return this.latent * (this.optimizeSteps ? 1 + this.steps : 1);
  }

  initial(batch: number): Float32Array[] {
    return Array.from({ length: batch }, (_, b) => {
      const z = new Float32Array(this.perImage);
      z.set(this.seeded.xT.subarray(b * this.latent, (b + 1) * this.latent), 0);
      if (this.optimizeSteps) {
        for (let s = 0; s < this.steps; s++) {
          z.set(
            this.seeded.stepNoises[s]!.subarray(b * this.latent, (b + 1) * this.latent),
            (1 + s) * this.latent,
          );
        }
      }
      return z;
    });
  }

  /** Sampler inputs for a list of noise vectors; `owners[p]` is the batch image whose fixed step noise p uses. */
  assemble(
    zs: readonly Float32Array[],
    owners: readonly number[],
  ): { xT: Float32Array; stepNoises: Float32Array[] } {
    const L = this.latent;
    const xT = new Float32Array(zs.length * L);
    for (const [p, z] of zs.entries()) xT.set(z.subarray(0, L), p * L);
    const stepNoises: Float32Array[] = [];
    for (let s = 0; s < this.steps && this.seeded.stepNoises.length > 0; s++) {
      const noise = new Float32Array(zs.length * L);
      zs.forEach((z, p) => {
        const owner = owners[p]!;
        noise.set(
          this.optimizeSteps
            ? z.subarray((1 + s) * L, (2 + s) * L)
            : this.seeded.stepNoises[s]!.subarray(owner * L, (owner + 1) * L),
          p * L,
        );
      });
      stepNoises.push(noise);
    }
    return { xT, stepNoises };
  }

  /** Per-image gradient vectors from the chain's batched gradients. */
  gather(xT: Float32Array, steps: readonly Float32Array[] | null, index: number, out: Float32Array): void {
    const L = this.latent;
    out.set(xT.subarray(index * L, (index + 1) * L), 0);
    if (this.optimizeSteps) {
      for (let s = 0; s < this.steps; s++)
        out.set(steps![s]!.subarray(index * L, (index + 1) * L), (1 + s) * L);
    }
  }
}

export async function runDno(options: RunDnoOptions): Promise<DnoResult> {
  const { plan, env, signal } = options;
  const log = options.log ?? (() => {});
  const settings: SamplerSettings = {
    steps: plan.sampler.params.steps,
    eta: plan.sampler.params.eta,
    guidanceScale: plan.sampler.params.guidanceScale,
  };
  const modelId = plan.sampler.params.model;

  // Prompt and Noise nodes run through their registry declarations, as any executor of the graph would.
  const ctx: NodeRunContext = { signal: signal ?? new AbortController().signal, log, runtime: env.diffusion };
  const runNode = async (type: string, params: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const definition = getNodeDefinition(type);
    if (!definition?.run)
      throw new ExecutorError("PLAN_REFUSED", `The ${type} node type cannot run on this server.`);
    return definition.run(ctx, {}, definition.params.parse(params));
  };
  const conditioningValue = (await runNode("prompt", plan.prompt.params)).conditioning as ConditioningValue;
  const noiseValue = (await runNode("noise", plan.noise.params)).noise as NoiseValue;
  let model: Awaited<ReturnType<ExecutorEnvironment["diffusion"]["loadModel"]>>;
  try {
    model = await env.diffusion.loadModel(modelId);
  } catch (error) {
    throw new ExecutorError(
      "MODEL_UNAVAILABLE",
      `${plan.sampler.displayName} cannot load its model: ${error instanceof Error ? error.message : String(error)}`,
      { nodeId: plan.sampler.id, cause: error },
    );
  }
  // What makes a run reproducible besides the workflow and the seeds: the model files (by content).
  const modelHashes: Record<string, string> = {
    text_encoder: model.textEncoder.sha256,
    unet: model.unet.sha256,
    vae_decoder: model.vaeDecoder.sha256,
  };
  const fingerprint = planFingerprint(plan, modelHashes);
  if (options.resume && options.resume.fingerprint !== fingerprint) {
    throw new ExecutorError(
      "CHECKPOINT_MISMATCH",
      "The checkpoint belongs to another workflow version, other seeds or other model files; start the run again instead of resuming.",
    );
  }
  const seeded = await noiseValue.materialize(modelId, settings.steps);
  const batch = seeded.batch;
  const conditionings = new Map<number, Promise<Conditioning>>();
  const conditioningFor = (rows: number) => {
    let pending = conditionings.get(rows);
    if (!pending) {
      pending = conditioningValue.encode(modelId, rows);
      conditionings.set(rows, pending);
    }
    return pending;
  };
  const conditioning = await conditioningFor(batch);
  const chain = new DiffusionChain(model, env.onnx, env.vjpCache);
  const estimator = plan.estimator;
  if (estimator !== "zeroth-order") await chain.prepareBackward();

  const rewards = await buildRewards(plan, { modelDir: model.dir, onnx: env.onnx, vjpCache: env.vjpCache });
  const config: ObjectiveConfig = objectiveConfig(rewards, plan);
  const layout = new NoiseLayout(chain.latentSize, settings.steps, plan.optimizeStepNoise, seeded);
  const zs = layout.initial(batch);
  const noiseGuards: NoisePenaltyGuard[][] = zs.map((z, b) => buildNoiseGuards(plan, z, plan.seeds[b]!));
  const plateau: PlateauStopGuard | null = buildPlateauStop(plan);
  const keepBest = plan.guards.some((guard) => guard.params.kind === "keep-best");
  const optimizer: Optimizer = createOptimizer(
    zs.map((z) => z.length),
    optimizerConfig(plan),
  );
  const params = plan.optimizer.params;
  const iterations = params.iterations;

  let history: IterationRecord[] = [];
  let evaluations = { forward: 0, vjp: 0 };
  let best: { iteration: number; score: number; noise: Float32Array[]; image: ImageTensor } | null = null;
  let initialImage: ImageTensor | null = null;
  let start = 0;
  const imageFromNumbers = (data: number[], like: { height: number; width: number }): ImageTensor => ({
    batch,
    channels: 3,
    height: like.height,
    width: like.width,
    data: Float32Array.from(data),
  });
  const resume = options.resume;
  if (resume) {
    for (const [b, values] of resume.noise.entries()) zs[b]!.set(values);
    optimizer.loadState(resume.optimizer);
    if (plateau && resume.plateau)
      plateau.loadState({ best: resume.plateau.best ?? -Infinity, stale: resume.plateau.stale });
    history = resume.history.map((record) => structuredClone(record));
    evaluations = { ...resume.evaluations };
    start = resume.nextIteration;
    log(`Resuming at iteration ${start} of ${iterations}.`);
  }

  let lastImage: ImageTensor | null = null;
  let imageDims: { height: number; width: number } | null = null;
  let stopReason: StopReason = "completed";
  const lossGradients = zs.map((z) => new Float32Array(z.length));
  const rewardGradients = zs.map((z) => new Float32Array(z.length));
  const prGradients = zs.map((z) => new Float32Array(z.length));
  let ranThisCall = 0;

  for (let iteration = start; iteration < iterations; iteration++) {
    throwIfAborted(signal, `before iteration ${iteration}`);
    const started = performance.now();
    const onnxBefore = env.onnx.stats().runMs;

    // PR on the pool, started now: it only needs z, which stays unchanged until the update.
    const pooledPr = zs.map((z, b) => {
      const guard = noiseGuards[b]!.find((g) => g instanceof ProbabilityRegularizationGuard);
      if (!options.prPool || !guard) return null;
      const gradient = prGradients[b]!.fill(0);
      const report = guard.evaluateOnPool(options.prPool, z, iteration, gradient);
      // If the model pass fails first, this promise is never awaited: keep its rejection handled.
      report.catch(() => {});
      return { guard, report, gradient };
    });

    for (const gradient of rewardGradients) gradient.fill(0);
    // The pieces the estimators and the backward pass share; set as the iteration goes.
    let forward: ChainForward | null = null;
    let imageCotangent: Float32Array | undefined;
    let blackBox = new Set<string>();
    const backprop = async (cotangent: Float32Array, index: number | null): Promise<void> => {
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
        await conditioningFor(rows),
        latents,
        x0Gradient,
        settings,
        {
          stepNoiseGradients: layout.optimizeSteps,
          signal,
        },
      );
      evaluations.vjp += rows;
      if (index === null)
        for (let b = 0; b < batch; b++)
          layout.gather(gradient.xT, gradient.stepNoises, b, rewardGradients[b]!);
      else layout.gather(gradient.xT, gradient.stepNoises, 0, rewardGradients[index]!);
    };
    const single = (data: Float32Array): ImageBatch => ({
      data,
      batch: 1,
      channels: 3,
      height: imageDims!.height,
      width: imageDims!.width,
    });
    const generatorFor = (b: number) => ({
      async forwardMany(points: readonly Float32Array[]): Promise<Float32Array[]> {
        const assembled = layout.assemble(
          points,
          points.map(() => b),
        );
        const result = await chain.forward(
          await conditioningFor(points.length),
          assembled.xT,
          assembled.stepNoises,
          settings,
          signal,
        );
        evaluations.forward += points.length;
        imageDims = { height: result.image.height, width: result.image.width };
        const perImage = 3 * result.image.height * result.image.width;
        return points.map((_, p) => result.image.data.slice(p * perImage, (p + 1) * perImage));
      },
      async forward(z: Float32Array): Promise<Float32Array> {
        return (await this.forwardMany([z]))[0]!;
      },
      async reward(data: Float32Array): Promise<number> {
        if (estimator === "zeroth-order") {
          const stage = await evaluateRewardStage(config, single(data));
          return stage.weightedTotal[0]! - stage.keeperPenalty[0]!;
        }
        let total = 0;
        for (const { reward, weight } of config.rewards) {
          if (!blackBox.has(reward.id)) continue;
          total += weight * (await reward.evaluate(single(data)))[0]!;
        }
        return total;
      },
      async vjp(_z: Float32Array, direction: Float32Array): Promise<Float32Array> {
        // The black-box direction plus the exact image gradient of the differentiable rewards.
        const cotangent = Float32Array.from(direction);
        if (imageCotangent) {
          const perImage = cotangent.length;
          for (let i = 0; i < perImage; i++) cotangent[i] = cotangent[i]! + imageCotangent[b * perImage + i]!;
        }
        await backprop(cotangent, b);
        return Float32Array.from(rewardGradients[b]!);
      },
    });

    // Forward. Zeroth-order: z itself is the estimator's first point, so the estimate (run here, as one
    // batch with its perturbations) also gives this iteration's image; its time counts as backward.
    let mark = performance.now();
    const ms = { forward: 0, backward: 0, rewards: 0, guards: 0, update: 0 };
    let image: ImageTensor;
    if (estimator === "zeroth-order") {
      const parts: Float32Array[] = [];
      for (let b = 0; b < batch; b++) {
        const estimate = await zerothOrderEstimate(generatorFor(b), zs[b]!, {
          perturbations: params.perturbations,
          smoothing: params.smoothing,
          seed: plan.seeds[b]!,
          iteration,
        });
        rewardGradients[b]!.set(estimate.gradient);
        parts.push(estimate.image);
      }
      const data = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
      parts.forEach((part, b) => {
        data.set(part, b * part.length);
      });
      image = { batch, channels: 3, height: imageDims!.height, width: imageDims!.width, data };
      ms.backward = performance.now() - mark;
    } else {
      const { xT, stepNoises } = layout.assemble(
        zs,
        zs.map((_, b) => b),
      );
      forward = await chain.forward(conditioning, xT, stepNoises, settings, signal);
      evaluations.forward += batch;
      image = forward.image;
      imageDims = { height: image.height, width: image.width };
      ms.forward = performance.now() - mark;
    }
    if (resume && !initialImage && resume.initialImage)
      initialImage = imageFromNumbers(resume.initialImage, image);
    if (resume?.best && !best) {
      best = {
        iteration: resume.best.iteration,
        score: resume.best.score,
        noise: resume.best.noise.map((values) => Float32Array.from(values)),
        image: imageFromNumbers(resume.best.image, image),
      };
    }
    initialImage ??= copyImage(image);

    // Rewards.
    mark = performance.now();
    const images: ImageBatch = {
      data: image.data,
      batch,
      channels: 3,
      height: image.height,
      width: image.width,
    };
    const rewardStage = await evaluateRewardStage(config, images, {
      withGradient: estimator !== "zeroth-order",
    });
    ms.rewards = performance.now() - mark;

    // Backward: the reward part of ∂objective/∂z_b into rewardGradients[b].
    mark = performance.now();
    blackBox = new Set(rewardStage.withoutGradient);
    imageCotangent = rewardStage.imageCotangent;
    if (estimator === "zeroth-order") {
      // Estimated above, with the forward pass.
    } else if (estimator === "hybrid" && blackBox.size > 0) {
      for (let b = 0; b < batch; b++) {
        const estimate = await hybridEstimate(generatorFor(b), zs[b]!, {
          perturbations: params.perturbations,
          smoothing: params.smoothing,
          seed: plan.seeds[b]!,
          iteration,
          image: image.data.slice(
            b * 3 * image.height * image.width,
            (b + 1) * 3 * image.height * image.width,
          ),
        });
        rewardGradients[b]!.set(estimate.gradient);
      }
    } else if (imageCotangent?.some((value) => value !== 0)) {
      await backprop(imageCotangent, null);
    }
    ms.backward += performance.now() - mark;

    // Guards on the noise: penalties, PR (the meter), and the loss gradient −∂objective/∂z.
    mark = performance.now();
    const noiseStages: NoiseStage[] = [];
    for (const [b, z] of zs.entries()) {
      const pooled = pooledPr[b];
      const inline = pooled ? noiseGuards[b]!.filter((g) => g !== pooled.guard) : noiseGuards[b]!;
      const stage = applyNoiseGuards(inline, z, iteration, rewardGradients[b]!, lossGradients[b]!);
      if (pooled) {
        const report = await pooled.report;
        const lossGradient = lossGradients[b]!;
        for (let i = 0; i < lossGradient.length; i++)
          lossGradient[i] = lossGradient[i]! + pooled.gradient[i]!;
        stage.reports[pooled.guard.id] = report;
        stage.penalty += report.penalty ?? 0;
        stage.pr = report.value;
      }
      noiseStages.push(stage);
    }
    const objectives = rewardStage.weightedTotal.map(
      (total, b) => total - rewardStage.keeperPenalty[b]! - noiseStages[b]!.penalty,
    );
    const objective = objectives.reduce((sum, value) => sum + value, 0) / batch;
    const otherGuards: Record<string, GuardReport> = {};
    let stop: StopReason | null = rewardStage.stop ? "keeper-floor" : null;
    if (plateau) {
      const report = plateau.update(objective);
      otherGuards[plateau.id] = report;
      if (report.stop) stop ??= "early-stop";
    }
    const isBest = best === null || objective > best.score;
    if (isBest)
      best = {
        iteration,
        score: objective,
        noise: zs.map((z) => Float32Array.from(z)),
        image: copyImage(image),
      };
    if (keepBest) {
      otherGuards["best-iterate"] = {
        value: best!.score,
        fired: isBest,
        detail: { bestIteration: best!.iteration },
      };
    }
    ms.guards = performance.now() - mark;

    // Update (not after the last evaluation, nor when a guard stops the run).
    mark = performance.now();
    let gradNormSquared = 0;
    for (const gradient of lossGradients) {
      let sum = 0;
      for (let i = 0; i < gradient.length; i++) sum += gradient[i]! * gradient[i]!;
      gradNormSquared += sum;
    }
    const last = iteration === iterations - 1 || stop !== null;
    if (!last) {
      for (const gradient of lossGradients) clipGradientNorm([gradient], params.gradClip);
      optimizer.step(zs, lossGradients);
      for (const [b, z] of zs.entries())
        Object.assign(otherGuards, projectIntoTrustRegions(noiseGuards[b]!, z));
    }
    ms.update = performance.now() - mark;

    const metrics = iterationMetrics({
      iteration,
      rewardStage,
      noiseStages,
      otherGuards,
      gradNorm: Math.sqrt(gradNormSquared),
      ms,
    });
    const record: IterationRecord = {
      ...metrics,
      evaluations: { ...evaluations },
      onnxMs: env.onnx.stats().runMs - onnxBefore,
      totalMs: performance.now() - started,
    };
    history.push(record);
    lastImage = image;
    ranThisCall++;
    await options.onIteration?.({ record, image, isBest });
    if (stop) {
      stopReason = stop;
      log(
        `Stopped after iteration ${iteration}: ${stop === "early-stop" ? "no progress (plateau)" : "a keeper reward fell below its floor"}.`,
      );
      break;
    }
    if (!last && options.onCheckpoint) await options.onCheckpoint(checkpointOf(iteration + 1));
    if (options.pauseAfter !== undefined && ranThisCall >= options.pauseAfter && !last) {
      stopReason = "paused";
      break;
    }
  }

  function checkpointOf(nextIteration: number): DnoCheckpoint {
    const plateauState = plateau?.saveState();
    return {
      format: "dno-studio.checkpoint",
      version: 1,
      fingerprint,
      nextIteration,
      noise: zs.map((z) => Array.from(z)),
      optimizer: optimizer.saveState(),
      plateau: plateauState
        ? { best: Number.isFinite(plateauState.best) ? plateauState.best : null, stale: plateauState.stale }
        : null,
      best: best
        ? {
            iteration: best.iteration,
            score: best.score,
            noise: best.noise.map((z) => Array.from(z)),
            image: Array.from(best.image.data),
          }
        : null,
      initialImage: initialImage ? Array.from(initialImage.data) : null,
      history: history.map((record) => structuredClone(record)),
      evaluations: { ...evaluations },
    };
  }

  if (!lastImage || !best || !initialImage) {
    throw new ExecutorError(
      "PLAN_REFUSED",
      "The run evaluated no iteration: its checkpoint is already complete.",
    );
  }
  const lastIteration = history[history.length - 1]!.iteration;
  return {
    history,
    initialImage,
    finalImage: copyImage(lastImage),
    bestImage: best.image,
    bestIteration: best.iteration,
    resultImage: keepBest ? best.image : copyImage(lastImage),
    stopReason,
    checkpoint: checkpointOf(lastIteration + 1),
    evaluations,
    modelHashes,
  };
}
