/**
 * ONNX Runtime configuration from the environment, validated once:
 * - ORT_EXECUTION_PROVIDER: cpu (default) | cuda | webgpu | auto (cuda when it loads, else webgpu on a
 *   hardware adapter, else cpu; see providers.ts)
 * - ORT_THREADS: intra-op thread count: auto (default) = every CPU this process may use; 0 = ONNX Runtime's own
 *   choice, which computed on one thread on 2-core machines (the full SD-1.5 UNet forward at 256 px: 1.95 s
 *   per row with it, 2.07 s with 1 thread, 1.32 s with 2)
 * - ORT_MAX_MODEL_BYTES: largest model file that is loaded at all (default 8 GiB)
 * - ORT_LOAD_TIMEOUT_MS: longest a model may take to load (default 180 000 = 3 min)
 * - ORT_RUN_TIMEOUT_MS: longest one inference call may take (default 600 000 = 10 min)
 * - ORT_DEVICE_MEMORY_MB: device memory (MiB) models may take on a GPU provider (default 0 = no budget);
 *   a model whose estimate would go over it is refused before its session is created
 * - ORT_SHARE_WEIGHTS: auto (default) | on | off — map external-data weights and share them between sessions
 *   instead of copying them per session (memory-sharing.ts); auto: models with at least 512 MiB of them
 * - ORT_FLOAT32_TWIN_DIR: where float32 twins of float16 models are written for a WebGPU adapter without
 *   float16 shaders (float16-upcast.ts reads it; default: dno-float32-twins in the system's temporary folder)
 */
import { availableParallelism } from "node:os";
import { z } from "zod";
import { OnnxError } from "./errors";
import type { WeightSharing } from "./memory-sharing";
import type { ExecutionProviderChoice } from "./types";

export interface OnnxConfig {
  readonly executionProvider: ExecutionProviderChoice;
  /** 0 lets ONNX Runtime choose (ORT_THREADS=auto has already been resolved to a count). */
  readonly intraOpThreads: number;
  /** Missing limits come from the environment (readOnnxLimits). */
  readonly limits?: Partial<OnnxLimits>;
}

/** ORT_THREADS: auto, or a thread count (0 = ONNX Runtime decides); server/env.ts validates it with this too. */
export const ortThreadsSchema = z.union([z.literal("auto"), z.coerce.number().int().min(0).max(1024)]);

const envSchema = z.object({
  ORT_EXECUTION_PROVIDER: z.enum(["cpu", "cuda", "webgpu", "auto"]).default("cpu"),
  ORT_THREADS: ortThreadsSchema.default("auto"),
});

/** ORT_THREADS=auto: every CPU this process may use (its affinity; at least 1). */
function automaticThreadCount(): number {
  return Math.max(1, availableParallelism());
}

/** Bounds on loading and running models, so that no model file (or special file) can wedge a worker. */
export interface OnnxLimits {
  readonly maxModelBytes: number;
  readonly loadTimeoutMs: number;
  readonly runTimeoutMs: number;
  /** Device memory budget for models on a GPU provider, in bytes; 0 = none. */
  readonly deviceMemoryBytes: number;
  /** Whether sessions map and share external-data weights (memory-sharing.ts). */
  readonly shareWeights: WeightSharing;
}

export const DEFAULT_ONNX_LIMITS: OnnxLimits = {
  maxModelBytes: 8 * 1024 ** 3,
  loadTimeoutMs: 180_000,
  runTimeoutMs: 600_000,
  deviceMemoryBytes: 0,
  shareWeights: "auto",
};

const limitsSchema = z.object({
  ORT_MAX_MODEL_BYTES: z.coerce.number().int().min(1).default(DEFAULT_ONNX_LIMITS.maxModelBytes),
  ORT_LOAD_TIMEOUT_MS: z.coerce.number().int().min(1).default(DEFAULT_ONNX_LIMITS.loadTimeoutMs),
  ORT_RUN_TIMEOUT_MS: z.coerce.number().int().min(1).default(DEFAULT_ONNX_LIMITS.runTimeoutMs),
  ORT_DEVICE_MEMORY_MB: z.coerce.number().int().min(0).default(0),
  ORT_SHARE_WEIGHTS: z.enum(["auto", "on", "off"]).default("auto"),
});

export function readOnnxLimits(env: Readonly<Record<string, string | undefined>> = process.env): OnnxLimits {
  const parsed = limitsSchema.safeParse({
    ORT_MAX_MODEL_BYTES: env.ORT_MAX_MODEL_BYTES?.trim() || undefined,
    ORT_LOAD_TIMEOUT_MS: env.ORT_LOAD_TIMEOUT_MS?.trim() || undefined,
    ORT_RUN_TIMEOUT_MS: env.ORT_RUN_TIMEOUT_MS?.trim() || undefined,
    ORT_DEVICE_MEMORY_MB: env.ORT_DEVICE_MEMORY_MB?.trim() || undefined,
    ORT_SHARE_WEIGHTS: env.ORT_SHARE_WEIGHTS?.trim().toLowerCase() || undefined,
  });
  if (!parsed.success) {
    const names = parsed.error.issues.map((issue) => issue.path.join(".")).join(", ");
    throw new OnnxError(
      "ONNX_CONFIG_INVALID",
      `Invalid ONNX Runtime limits (${names}): ORT_MAX_MODEL_BYTES, ORT_LOAD_TIMEOUT_MS and ORT_RUN_TIMEOUT_MS ` +
        "must be positive whole numbers (bytes, milliseconds); ORT_DEVICE_MEMORY_MB a whole number of MiB (0 = no budget); ORT_SHARE_WEIGHTS auto, on or off.",
    );
  }
  return {
    maxModelBytes: parsed.data.ORT_MAX_MODEL_BYTES,
    loadTimeoutMs: parsed.data.ORT_LOAD_TIMEOUT_MS,
    runTimeoutMs: parsed.data.ORT_RUN_TIMEOUT_MS,
    deviceMemoryBytes: parsed.data.ORT_DEVICE_MEMORY_MB * 1024 * 1024,
    shareWeights: parsed.data.ORT_SHARE_WEIGHTS,
  };
}

export function readOnnxConfig(env: Readonly<Record<string, string | undefined>> = process.env): OnnxConfig {
  const parsed = envSchema.safeParse({
    ORT_EXECUTION_PROVIDER: env.ORT_EXECUTION_PROVIDER?.trim().toLowerCase() || undefined,
    ORT_THREADS: env.ORT_THREADS?.trim().toLowerCase() || undefined,
  });
  if (!parsed.success) {
    const details = parsed.error.issues
      .map((issue) => `${issue.path.join(".")}: ${issue.message}`)
      .join("; ");
    throw new OnnxError(
      "ONNX_CONFIG_INVALID",
      `Invalid ONNX Runtime configuration (${details}). ORT_EXECUTION_PROVIDER must be cpu, cuda, webgpu or auto; ` +
        "ORT_THREADS must be auto (every CPU, the default), a whole number of threads, or 0 (ONNX Runtime decides).",
    );
  }
  const threads = parsed.data.ORT_THREADS;
  return {
    executionProvider: parsed.data.ORT_EXECUTION_PROVIDER,
    intraOpThreads: threads === "auto" ? automaticThreadCount() : threads,
  };
}
