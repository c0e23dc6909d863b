/**
 * A small, deterministic executor for worker and service tests that must not depend on model files: a
 * genuine noise-optimization loop on a tiny problem. The "image" is sigmoid(z) (8×8 RGB), each Reward node
 * of the document scores its brightness, each Guard node penalizes the noise's squared norm drift, and the
 * Optimizer node's Adam (server/dno) maximizes the sum. Checkpoints hold z and Adam's state, so a resumed
 * run continues bit-identically, which is exactly what the resume tests check.
 */
import type { GraphDocument } from "@/nodes";
import { createOptimizer } from "@/server/dno/optimizers/index";
import type { OptimizerStateSnapshot } from "@/server/dno/optimizers/optimizer";
import { gaussian } from "@/server/models/rng";
import { decodeCheckpoint, encodeCheckpoint } from "../checkpoint-codec";
import type { ExecuteRequest, ExecuteResult, RunExecutor } from "../executor-port";

const SIZE = 8;
const LENGTH = SIZE * SIZE * 3;

export interface SmallLoopOptions {
  /** Wall time per iteration, so tests can cancel or interrupt mid-run. */
  delayMs?: number;
  /** Makes this iteration's first reward NaN (a node failure). */
  nanAtIteration?: number;
  /** Throws this error at this iteration (e.g. a model failing to load). */
  throwAt?: { iteration: number; error: Error };
  device?: string;
}

function numberParam(params: Record<string, unknown>, name: string, fallback: number): number {
  const value = params[name];
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });
}

interface SmallLoopCheckpoint {
  iteration: number;
  z: Float32Array;
  optimizer: OptimizerStateSnapshot;
}

export function createSmallLoopExecutor(options: SmallLoopOptions = {}): RunExecutor {
  return {
    device: options.device ?? "cpu",
    async execute(request: ExecuteRequest): Promise<ExecuteResult> {
      return runSmallLoop(request, options);
    },
  };
}

async function runSmallLoop(request: ExecuteRequest, options: SmallLoopOptions): Promise<ExecuteResult> {
  const doc: GraphDocument = request.document;
  const optimizerNode = doc.nodes.find((node) => node.type === "optimizer");
  const noiseNode = doc.nodes.find((node) => node.type === "noise");
  if (!optimizerNode || !noiseNode) throw new Error("The small loop needs an Optimizer and a Noise node.");
  const rewards = doc.nodes.filter((node) => node.type === "reward");
  const guards = doc.nodes.filter((node) => node.type === "guard");
  const iterations = numberParam(optimizerNode.params, "iterations", 10);
  const learningRate = numberParam(optimizerNode.params, "learningRate", 0.05);
  const seed = numberParam(noiseNode.params, "seed", 0);

  let z = gaussian(seed, LENGTH);
  const optimizer = createOptimizer([LENGTH], { kind: "adam", learningRate });
  let start = 0;
  if (request.resume) {
    const state = decodeCheckpoint(request.resume.checkpoint) as SmallLoopCheckpoint;
    z = state.z;
    optimizer.loadState(state.optimizer);
    start = state.iteration + 1;
  }
  for (let iteration = start; iteration < iterations; iteration++) {
    if (request.signal.aborted) break;
    const began = performance.now();
    if (options.throwAt?.iteration === iteration) throw options.throwAt.error;
    // image = sigmoid(z); brightness = mean(image); ∂brightness/∂z = s(1−s)/LENGTH.
    const image = new Uint8Array(LENGTH);
    const rewardGradient = new Float32Array(LENGTH);
    let brightness = 0;
    for (let i = 0; i < LENGTH; i++) {
      const s = 1 / (1 + Math.exp(-z[i]!));
      image[i] = Math.round(s * 255);
      brightness += s / LENGTH;
      rewardGradient[i] = (s * (1 - s)) / LENGTH;
    }
    // Guard: γ·(mean(z²) − 1)², holds the noise near unit variance.
    let meanSquare = 0;
    for (let i = 0; i < LENGTH; i++) meanSquare += (z[i]! * z[i]!) / LENGTH;
    const drift = meanSquare - 1;
    const lossGradient = new Float32Array(LENGTH);
    let gradNormSquared = 0;
    const rewardValues: Record<string, number> = {};
    let objective = 0;
    for (const reward of rewards) {
      const weight = numberParam(reward.params, "weight", 1);
      const value = options.nanAtIteration === iteration && reward === rewards[0] ? Number.NaN : brightness;
      rewardValues[reward.id] = value;
      objective += weight * value;
      for (let i = 0; i < LENGTH; i++) lossGradient[i] = lossGradient[i]! - weight * rewardGradient[i]!;
    }
    const guardValues: Record<string, { value: number; fired: boolean }> = {};
    for (const guard of guards) {
      const gamma = numberParam(guard.params, "gamma", 1);
      const penalty = gamma * drift * drift;
      guardValues[guard.id] = { value: penalty, fired: Math.abs(drift) > 0.05 };
      objective -= penalty;
      for (let i = 0; i < LENGTH; i++) {
        lossGradient[i] = lossGradient[i]! + gamma * 2 * drift * ((2 * z[i]!) / LENGTH);
      }
    }
    for (let i = 0; i < LENGTH; i++) gradNormSquared += lossGradient[i]! * lossGradient[i]!;
    optimizer.step([z], [lossGradient]);
    const checkpoint: SmallLoopCheckpoint = { iteration, z: z.slice(), optimizer: optimizer.saveState() };
    await sleep(options.delayMs ?? 0, request.signal);
    await request.onIteration({
      metrics: {
        iteration,
        rewards: rewardValues,
        guards: guardValues,
        pr: guards.length > 0 ? Math.abs(drift) : null,
        objective,
        gradNorm: Math.sqrt(gradNormSquared),
        ms: { total: performance.now() - began },
      },
      image: { width: SIZE, height: SIZE, data: image },
      checkpoint: encodeCheckpoint(checkpoint),
    });
  }
  return { iterations, stoppedEarly: false };
}
