/**
 * Set-up phase of the DNO loop: runs the Prompt and Noise nodes through their declarations, loads the
 * Sampler's model, checks a resumed checkpoint's fingerprint, and builds the objective's parts and the
 * optimizer. Then `restoreLoopState` starts the loop afresh or from a checkpoint.
 */
import { createHash } from "node:crypto";
import type { ConditioningValue, NodeRunContext, NoiseValue } from "@/nodes/context";
import { imageSizeIssue } from "@/nodes/graph/image-size-issues";
import { getGradientEstimator } from "@/nodes/kinds/gradient-estimators";
import { getNodeDefinition } from "@/nodes/registry";
import { createOptimizer, type OptimizerConfig } from "@/server/dno/optimizers/index";
import { optimizerAlgorithmConfigs } from "@/server/kinds/optimizer-algorithms";
import { ImageSizeError } from "@/server/models/image-size";
import type { Conditioning } from "@/server/models/sampler";
import { DiffusionChain, type SamplerSettings } from "../chain";
import { chooseMemoryMode } from "../chain-memory";
import type { ExecutorEnvironment } from "../environment";
import { ExecutorError, WorkflowInvalidError } from "../errors";
import { checkRunMemory } from "../memory-check";
import {
  buildImageGuards,
  buildLoopGuards,
  buildNoiseGuards,
  buildRewards,
  classifierLoader,
  objectiveConfig,
} from "../objective-parts";
import type { RunPlan } from "../plan";
import { NoiseLayout } from "./noise-layout";
import type { LoopState, RunDnoOptions, RunSetup } from "./types";

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
  return optimizerAlgorithmConfigs[params.algorithm](params);
}

type LoadedModel = Awaited<ReturnType<ExecutorEnvironment["diffusion"]["loadModel"]>>;

/** The Sampler's model at its Image size; a size the model cannot draw is a validation error on that field. */
async function loadSamplerModel(plan: RunPlan, env: ExecutorEnvironment): Promise<LoadedModel> {
  try {
    return await env.diffusion.loadModel(plan.sampler.params.model, plan.sampler.params.imageSize);
  } catch (error) {
    if (error instanceof ImageSizeError) {
      const node = plan.document.nodes.find((candidate) => candidate.id === plan.sampler.id);
      throw new WorkflowInvalidError([
        imageSizeIssue(node ?? { id: plan.sampler.id, type: "sampler" }, error.message),
      ]);
    }
    throw new ExecutorError(
      "MODEL_UNAVAILABLE",
      `${plan.sampler.displayName} cannot load its model: ${error instanceof Error ? error.message : String(error)}`,
      { nodeId: plan.sampler.id, cause: error },
    );
  }
}

export async function setUpRun(options: RunDnoOptions): Promise<RunSetup> {
  const { plan, env, signal } = options;
  const log = options.log ?? (() => {});
  const settings: SamplerSettings = {
    steps: plan.sampler.params.steps,
    eta: plan.sampler.params.eta,
    guidanceScale: plan.sampler.params.guidanceScale,
    finalStepNoise: plan.sampler.params.finalStepNoise,
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
  const model = await loadSamplerModel(plan, env);
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
  const seeded = await noiseValue.materialize(modelId, settings.steps, plan.sampler.params.imageSize);
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
  const estimates = getGradientEstimator(plan.estimator)?.estimates;
  if (!estimates) {
    throw new ExecutorError(
      "PLAN_REFUSED",
      `${plan.optimizer.displayName}: the gradient estimator “${plan.estimator}” cannot run on this server.`,
      { nodeId: plan.optimizer.id },
    );
  }
  const memory = await chooseMemoryMode({
    model,
    env,
    steps: settings.steps,
    batch,
    tokens: conditioning.tokens,
    exactGradient: estimates === "none",
  });
  log(memory.reason);
  // The picture's size belongs to the run's record next to the memory mode: "Model default" depends on the
  // folder's configs, which the model hashes do not cover.
  log(
    `Image size ${model.latent.width * model.imageSize.vaeScale}×${model.latent.height * model.imageSize.vaeScale} px ` +
      `(latents ${model.latent.channels}×${model.latent.height}×${model.latent.width}${plan.sampler.params.imageSize === 0 ? ", the model's default" : ""}).`,
  );
  const chain = new DiffusionChain(model, env.onnx, env.vjpCache, { memoryMode: memory.mode });
  // An estimator that estimates everything never runs the reverse chain: no VJP models to build.
  if (estimates !== "everything") {
    // Refused before the backward models are built and loaded when the run would not fit (memory-check.ts).
    // Auto chose store only where the stored activations fit (chain-memory.ts); store as set counts them here.
    const stored = memory.mode === "store" && memory.setting === "store" && memory.storeBytes !== undefined;
    checkRunMemory(
      {
        model,
        batch,
        steps: settings.steps,
        ...(stored ? { storedBytesPerStep: (memory.storeBytes ?? 0) / settings.steps } : {}),
      },
      env,
      { nodeId: plan.sampler.id },
    );
    await chain.prepareBackward(batch);
  }

  const loadClassifier = classifierLoader({ modelDir: model.dir, onnx: env.onnx, vjpCache: env.vjpCache });
  const rewards = await buildRewards(plan, {
    modelDir: model.dir,
    onnx: env.onnx,
    vjpCache: env.vjpCache,
    ...(env.assets ? { assets: env.assets } : {}),
    loadClassifier,
  });
  const imageGuards = await buildImageGuards(plan, loadClassifier);
  const layout = new NoiseLayout(chain.latentSize, settings.steps, plan.optimizeStepNoise, seeded);
  const zs = layout.initial(batch);
  const noiseGuards = zs.map((z, b) => buildNoiseGuards(plan, z, plan.seeds[b]!));
  const { plateau, keepBest } = buildLoopGuards(plan);
  return {
    plan,
    estimates,
    env,
    signal,
    log,
    settings,
    modelHashes,
    fingerprint,
    batch,
    conditioning,
    conditioningFor,
    chain,
    memory,
    config: objectiveConfig(rewards, plan, imageGuards),
    layout,
    zs,
    noiseGuards,
    plateau,
    keepBest,
    optimizer: createOptimizer(
      zs.map((z) => z.length),
      optimizerConfig(plan),
    ),
    params: plan.optimizer.params,
    iterations: plan.optimizer.params.iterations,
  };
}

/** A fresh loop state, or the one a checkpoint saved (noise, optimizer and plateau state restored in place). */
export function restoreLoopState(setup: RunSetup, resume: RunDnoOptions["resume"]): LoopState {
  const { zs } = setup;
  const state: LoopState = {
    history: [],
    evaluations: { forward: 0, vjp: 0 },
    best: null,
    initialImage: null,
    start: resume ? resume.nextIteration : 0,
    lastImage: null,
    imageDims: null,
    stopReason: "completed",
    ranThisCall: 0,
    lossGradients: zs.map((z) => new Float32Array(z.length)),
    rewardGradients: zs.map((z) => new Float32Array(z.length)),
    prGradients: zs.map((z) => new Float32Array(z.length)),
  };
  if (resume) {
    for (const [b, values] of resume.noise.entries()) zs[b]!.set(values);
    setup.optimizer.loadState(resume.optimizer);
    if (setup.plateau && resume.plateau)
      setup.plateau.loadState({ best: resume.plateau.best ?? -Infinity, stale: resume.plateau.stale });
    state.history = resume.history.map((record) => structuredClone(record));
    state.evaluations = { ...resume.evaluations };
    setup.log(`Resuming at iteration ${state.start} of ${setup.iterations}.`);
  }
  return state;
}
