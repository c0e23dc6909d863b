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
import { createOnnxRuntime } from "@/server/onnx/runtime";
import type { OnnxRuntime } from "@/server/onnx/types";

export interface ExecutorEnvironment {
  readonly onnx: OnnxRuntime;
  readonly diffusion: DiffusionRuntime & { loadModel(modelId: string): Promise<DiffusionModel> };
  readonly vjpCache: VjpCacheOptions;
  /** Uploaded files by asset id (the app's worker passes the database-backed store). */
  readonly assets?: AssetFiles;
}

export async function createExecutorEnvironment(
  options: {
    onnx?: OnnxRuntime;
    directories?: ModelDirectories;
    vjpCacheDir?: string;
    assets?: AssetFiles;
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
  };
}
