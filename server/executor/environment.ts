/**
 * What the executor needs from the server: ONNX Runtime (sessions), the diffusion runtime (model folders,
 * prompt encoding, seeded noise, sampling) and where VJP models are cached. Tests and the CLI create their
 * own; the app's worker creates one per process.
 */
import type { DiffusionRuntime } from "@/nodes/context";
import type { AssetFiles } from "@/server/assets/asset-store";
import type { VjpCacheOptions } from "@/server/autodiff/cache";
import { createDiffusionRuntime } from "@/server/models/diffusion-runtime";
import type { ModelDirectories } from "@/server/models/discovery";
import type { DiffusionModel } from "@/server/models/folder";
import type { MemoryMode } from "@/server/onnx/memory-budget";
import { createOnnxRuntime } from "@/server/onnx/runtime";
import type { OnnxRuntime } from "@/server/onnx/types";

export interface ExecutorEnvironment {
  readonly onnx: OnnxRuntime;
  /** `loadModel(id, imageSize)`: the model at a run's chosen size (server/models/image-size.ts). */
  readonly diffusion: DiffusionRuntime & {
    loadModel(modelId: string, imageSize?: number): Promise<DiffusionModel>;
  };
  readonly vjpCache: VjpCacheOptions;
  /** Uploaded files by asset id (the app's worker passes the database-backed store). */
  readonly assets?: AssetFiles;
  /** Backward memory mode instead of DNO_MEMORY_MODE (tests, benches); each run logs the mode it used. */
  readonly memoryMode?: MemoryMode;
  /** Memory budget in bytes instead of DNO_MEMORY_BUDGET_MB (tests). */
  readonly memoryBudgetBytes?: number;
}

export async function createExecutorEnvironment(
  options: {
    onnx?: OnnxRuntime;
    directories?: ModelDirectories;
    vjpCacheDir?: string;
    assets?: AssetFiles;
    memoryMode?: MemoryMode;
    memoryBudgetBytes?: number;
  } = {},
): Promise<ExecutorEnvironment> {
  const onnx = options.onnx ?? (await createOnnxRuntime());
  return {
    onnx,
    diffusion: createDiffusionRuntime({
      onnx,
      ...(options.directories ? { directories: options.directories } : {}),
    }),
    vjpCache: options.vjpCacheDir ? { dir: options.vjpCacheDir } : {},
    ...(options.assets ? { assets: options.assets } : {}),
    ...(options.memoryMode ? { memoryMode: options.memoryMode } : {}),
    ...(options.memoryBudgetBytes === undefined ? {} : { memoryBudgetBytes: options.memoryBudgetBytes }),
  };
}
