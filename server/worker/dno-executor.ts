/**
 * Adapter from server/executor's DNO loop (`runDno`) to the worker's executor port. The loop reports an
 * iteration (`onIteration`) and then, except after the last one, the checkpoint to continue from
 * (`onCheckpoint`); the port wants both together, so each iteration is held until its checkpoint arrives
 * (or the loop ends) and then handed on. Checkpoints go through the binary codec: the loop's number arrays
 * of noise and images become Float32Arrays (they are float32 values, so nothing is lost).
 */
import { type DnoCheckpoint, type IterationEvent, runDno } from "@/server/executor/run-dno";
import { createExecutorEnvironment, type ExecutorEnvironment } from "@/server/executor/environment";
import { planRun } from "@/server/executor/plan";
import { UnknownModelError } from "@/server/models/discovery";
import { ModelFolderError } from "@/server/models/errors";
import { imageToRgb8 } from "@/server/models/image";
import { withOnnxSignal } from "@/server/onnx/abort-scope";
import { OnnxError } from "@/server/onnx/errors";
import { getDb } from "../db/client";
import { dataDir } from "../env";
import { createAssetFiles } from "../services/assets/resolve-asset-file";
import { decodeCheckpoint, encodeCheckpoint } from "./checkpoint-codec";
import {
  type ExecuteRequest,
  type ExecuteResult,
  type ExecutorIteration,
  errorNodeIdOf,
  type RunExecutor,
} from "./executor-port";

interface EnvironmentHolder {
  dnoExecutorEnvironment?: Promise<ExecutorEnvironment>;
}

/** One environment (ONNX sessions, loaded models, VJP cache) per process, shared by all runs. */
function sharedEnvironment(): Promise<ExecutorEnvironment> {
  const holder = globalThis as EnvironmentHolder;
  if (!holder.dnoExecutorEnvironment) {
    holder.dnoExecutorEnvironment = createExecutorEnvironment({
      vjpCacheDir: `${dataDir()}/vjp-cache`,
      // Custom scorers are found by asset id through the Asset table, never by a path from the workflow.
      assets: createAssetFiles({ db: getDb() }),
    });
    holder.dnoExecutorEnvironment.catch(() => {
      holder.dnoExecutorEnvironment = undefined;
    });
  }
  return holder.dnoExecutorEnvironment;
}

const toFloat32 = (rows: number[][]): Float32Array[] => rows.map((row) => Float32Array.from(row));
const toNumbers = (rows: unknown): number[][] =>
  Array.isArray(rows) ? rows.map((row) => Array.from(row as ArrayLike<number>)) : [];

export function encodeDnoCheckpoint(checkpoint: DnoCheckpoint): Uint8Array {
  return encodeCheckpoint({
    ...checkpoint,
    noise: toFloat32(checkpoint.noise),
    best: checkpoint.best
      ? {
          ...checkpoint.best,
          noise: toFloat32(checkpoint.best.noise),
          image: Float32Array.from(checkpoint.best.image),
        }
      : null,
    initialImage: checkpoint.initialImage ? Float32Array.from(checkpoint.initialImage) : null,
  });
}

export function decodeDnoCheckpoint(bytes: Uint8Array): DnoCheckpoint {
  const raw = decodeCheckpoint(bytes) as Record<string, unknown> & {
    best: (Record<string, unknown> & { noise: unknown; image: ArrayLike<number> }) | null;
    initialImage: ArrayLike<number> | null;
  };
  return {
    ...(raw as unknown as DnoCheckpoint),
    noise: toNumbers(raw.noise),
    best: raw.best
      ? ({
          ...raw.best,
          noise: toNumbers(raw.best.noise),
          image: Array.from(raw.best.image),
        } as DnoCheckpoint["best"])
      : null,
    initialImage: raw.initialImage ? Array.from(raw.initialImage) : null,
  };
}

/**
 * Model folder and ONNX errors carry no node; they come from loading or running the Sampler's model (a bad
 * or missing model file), so the run's error is shown on the Sampler node.
 */
function attributeToNode(error: unknown, samplerNodeId: string): unknown {
  if (errorNodeIdOf(error) !== null) return error;
  if (error instanceof UnknownModelError || error instanceof ModelFolderError || error instanceof OnnxError) {
    return Object.assign(error, { nodeId: samplerNodeId });
  }
  return error;
}

function toPortIteration(event: IterationEvent, checkpoint: Uint8Array | null): ExecutorIteration {
  const { record } = event;
  return {
    metrics: {
      iteration: record.iteration,
      rewards: record.rewards,
      guards: record.guards,
      pr: record.pr,
      prMeter: record.prMeter,
      objective: record.objective,
      gradNorm: record.gradNorm,
      ms: { ...record.ms, onnx: record.onnxMs, total: record.totalMs },
    },
    image: imageToRgb8(event.image, 0),
    checkpoint,
  };
}

export function createDnoExecutor(
  options: { environment?: () => Promise<ExecutorEnvironment>; device?: string } = {},
): RunExecutor {
  const environment = options.environment ?? sharedEnvironment;
  return {
    device: options.device ?? "cpu",
    execute(request: ExecuteRequest): Promise<ExecuteResult> {
      // Every model load and run below honours the run's cancel signal, however deep (server/onnx/abort-scope).
      return withOnnxSignal(request.signal, () => executeInScope(request));
    },
  };

  async function executeInScope(request: ExecuteRequest): Promise<ExecuteResult> {
    const plan = planRun(request.document);
    const env = await environment();
    let pending: IterationEvent | null = null;
    const flush = async (checkpoint: Uint8Array | null) => {
      const event = pending;
      pending = null;
      if (event) await request.onIteration(toPortIteration(event, checkpoint));
    };
    try {
      const result = await runDno({
        plan,
        env,
        signal: request.signal,
        ...(request.resume ? { resume: decodeDnoCheckpoint(request.resume.checkpoint) } : {}),
        log: (message) => request.onLog?.({ level: "info", message }),
        onIteration: async (event) => {
          await flush(null);
          pending = event;
        },
        onCheckpoint: async (checkpoint) => {
          await flush(encodeDnoCheckpoint(checkpoint));
        },
      });
      // The last iteration has no "continue" checkpoint; the final state still resumes nothing, so none.
      await flush(encodeDnoCheckpoint(result.checkpoint));
      return {
        iterations: result.history.length,
        stoppedEarly: result.stopReason === "early-stop" || result.stopReason === "keeper-floor",
      };
    } catch (error) {
      // Iterations that finished before the failure are kept.
      if (!request.signal.aborted) await flush(null).catch(() => undefined);
      throw attributeToNode(error, plan.sampler.id);
    }
  }
}
