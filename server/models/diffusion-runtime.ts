/**
 * The server's `DiffusionRuntime` (nodes/context.ts): model ids → loaded model folders (cached), prompt
 * encoding, seeded noise and sampling. The executor hands it to nodes through their run context; tests and
 * other backends may supply their own implementation of the interface.
 */
import type {
  DiffusionRuntime,
  EncodedPrompt,
  LatentShape,
  ModelSummary,
  NoiseTensors,
  SampleRequest,
  SampleResult,
} from "@/nodes/context";
import { getOnnxRuntime } from "@/server/onnx/runtime";
import type { OnnxRuntime } from "@/server/onnx/types";
import { listModels, type ModelDirectories, modelDirectories, resolveModelDir } from "./discovery";
import { type DiffusionModel, loadModelFolder } from "./folder";
import { modelAtImageSize } from "./image-size";
import { seededNoise } from "./noise";
import { encodePrompts, latentSize, sample } from "./sampler";

export interface DiffusionRuntimeOptions {
  readonly onnx?: OnnxRuntime;
  readonly directories?: ModelDirectories;
}

export function createDiffusionRuntime(options: DiffusionRuntimeOptions = {}): DiffusionRuntime & {
  /**
   * The model as a run at `imageSize` (square pixels; absent or 0 = its default) sees it. Every size shares
   * the one loaded folder; a size the model cannot draw throws ImageSizeError (server/models/image-size.ts).
   */
  loadModel(modelId: string, imageSize?: number): Promise<DiffusionModel>;
} {
  const directories = options.directories ?? modelDirectories();
  const loaded = new Map<string, Promise<DiffusionModel>>();
  const loadModel = async (modelId: string, imageSize?: number): Promise<DiffusionModel> =>
    modelAtImageSize(await loadFolder(modelId), imageSize);
  const loadFolder = (modelId: string): Promise<DiffusionModel> => {
    let pending = loaded.get(modelId);
    if (!pending) {
      pending = (async () => {
        const onnx = options.onnx ?? (await getOnnxRuntime());
        return loadModelFolder(resolveModelDir(modelId, directories), { runtime: onnx });
      })();
      loaded.set(modelId, pending);
      // A broken folder may be fixed and retried without restarting the server.
      pending.catch(() => loaded.delete(modelId));
    }
    return pending;
  };

  return {
    loadModel,
    async listModels(): Promise<readonly ModelSummary[]> {
      return listModels(directories);
    },
    async latentShape(modelId: string, imageSize?: number): Promise<LatentShape> {
      return (await loadModel(modelId, imageSize)).latent;
    },
    async encodePrompt(request): Promise<EncodedPrompt> {
      const model = await loadModel(request.modelId);
      const conditioning = await encodePrompts(model, request.prompts, request.negativePrompt ?? "");
      return { modelId: request.modelId, ...conditioning };
    },
    async seededNoise(request): Promise<NoiseTensors> {
      const model = await loadModel(request.modelId, request.imageSize);
      const noise = seededNoise({
        seeds: request.seeds,
        latentSize: latentSize(model),
        steps: request.steps,
        withStepNoise: request.withStepNoise,
      });
      return { batch: request.seeds.length, latent: model.latent, ...noise };
    },
    async sample(request: SampleRequest): Promise<SampleResult> {
      const model = await loadModel(request.modelId, request.imageSize);
      if (request.conditioning.modelId !== request.modelId) {
        throw new Error(
          `The prompt was encoded for model "${request.conditioning.modelId}" but sampling uses "${request.modelId}"`,
        );
      }
      const result = await sample({ ...request, model });
      if (!result.image) throw new Error("The sampler returned no image");
      return { latents: result.latents, timesteps: result.timesteps, image: result.image };
    },
  };
}
