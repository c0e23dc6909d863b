/**
 * Custom ONNX reward: any user model image → score, differentiated through the autodiff.
 *
 * With “Scorer input” CLIP, the picture is prepared as CLIP does (clip-preprocess.ts: shorter side to 224 with
 * antialiased bicubic, center crop, CLIP mean/std); otherwise:
 *
 *   u = (x + 1)/2                        decoder output [-1, 1] → pixels in [0, 1]
 *   v = resize_bilinear(u, R×R)          half-pixel centres (ONNX Resize "linear", torch align_corners=False)
 *   n = (v − mean_c)/std_c               per channel
 *   score_b = model(n)[b, outputIndex]   the chosen entry of each row of the first output
 *
 * The gradient runs the model's VJP model with a one-hot cotangent per row, then the adjoints of the
 * normalization, the resize (a transposed interpolation) and the pixel mapping, in that order.
 */
import type { AssetFiles } from "@/server/assets/asset-store";
import { getVjpModelForFile, type VjpCacheOptions } from "@/server/autodiff/cache";
import { ExternalCopyError } from "@/server/autodiff/external-copy";
import { cotangentInputName, gradientOutputName } from "@/server/autodiff/vjp";
import { gradientBuffer, type ImageBatch, type Reward, requireRgb } from "@/server/dno/rewards/reward";
import { OnnxError, type OnnxErrorCode } from "@/server/onnx/errors";
import type { OnnxModel, OnnxRuntime } from "@/server/onnx/types";
import { CLIP_SIZE, clipPreprocess, clipPreprocessAdjoint } from "./clip-preprocess";
import { ExecutorError } from "./errors";
import { type ScorerFileOptions, scorerSessionFile } from "./scorer-file";

/** Load failures whose message is already for people (and names no server path). */
const BOUNDED_LOAD_CODES: ReadonlySet<OnnxErrorCode> = new Set([
  "ONNX_TIMEOUT",
  "ONNX_CANCELLED",
  "ONNX_MODEL_FILE_REFUSED",
]);

export interface CustomRewardSettings {
  readonly id: string;
  /** The uploaded scorer's asset id (never a path): resolved through the asset store only. */
  readonly modelAsset: string;
  /** "clip": CLIP's preprocessing (224 px, CLIP mean/std); `resize`, `mean` and `std` are then unused. */
  readonly scorerInput?: "as-is" | "clip";
  readonly resize: number;
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  readonly outputIndex: number;
}

/** One axis of a half-pixel bilinear resize: output i reads inputs i0, i1 with weights w0, w1. */
interface AxisTaps {
  readonly i0: Int32Array;
  readonly i1: Int32Array;
  readonly w1: Float32Array;
}

export function bilinearTaps(inSize: number, outSize: number): AxisTaps {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const w1 = new Float32Array(outSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const source = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), inSize - 1);
    const lower = Math.floor(source);
    i0[o] = lower;
    i1[o] = Math.min(lower + 1, inSize - 1);
    w1[o] = source - lower;
  }
  return { i0, i1, w1 };
}

/** Forward preprocessing of the whole batch into [B, 3, R, R]. */
export function preprocess(images: ImageBatch, settings: CustomRewardSettings): Float32Array {
  const { batch, height, width, data } = images;
  const size = settings.resize;
  const rows = bilinearTaps(height, size);
  const cols = bilinearTaps(width, size);
  const out = new Float32Array(batch * 3 * size * size);
  for (let b = 0; b < batch; b++) {
    for (let c = 0; c < 3; c++) {
      const plane = (b * 3 + c) * height * width;
      const target = (b * 3 + c) * size * size;
      const mean = settings.mean[c]!;
      const std = settings.std[c]!;
      for (let y = 0; y < size; y++) {
        const r0 = plane + rows.i0[y]! * width;
        const r1 = plane + rows.i1[y]! * width;
        const wy = rows.w1[y]!;
        for (let x = 0; x < size; x++) {
          const c0 = cols.i0[x]!;
          const c1 = cols.i1[x]!;
          const wx = cols.w1[x]!;
          const top = (1 - wx) * data[r0 + c0]! + wx * data[r0 + c1]!;
          const bottom = (1 - wx) * data[r1 + c0]! + wx * data[r1 + c1]!;
          const pixel = ((1 - wy) * top + wy * bottom + 1) / 2;
          out[target + y * size + x] = (pixel - mean) / std;
        }
      }
    }
  }
  return out;
}

/** Adjoint of `preprocess`: ∂score/∂n (as [B, 3, R, R]) → ∂score/∂x, written into `out`. */
export function preprocessAdjoint(
  images: ImageBatch,
  settings: CustomRewardSettings,
  inputGradient: Float32Array,
  out: Float32Array,
): void {
  const { batch, height, width } = images;
  const size = settings.resize;
  const rows = bilinearTaps(height, size);
  const cols = bilinearTaps(width, size);
  out.fill(0);
  for (let b = 0; b < batch; b++) {
    for (let c = 0; c < 3; c++) {
      const plane = (b * 3 + c) * height * width;
      const source = (b * 3 + c) * size * size;
      const scale = 1 / (2 * settings.std[c]!);
      for (let y = 0; y < size; y++) {
        const r0 = plane + rows.i0[y]! * width;
        const r1 = plane + rows.i1[y]! * width;
        const wy = rows.w1[y]!;
        for (let x = 0; x < size; x++) {
          const g = inputGradient[source + y * size + x]! * scale;
          if (g === 0) continue;
          const c0 = cols.i0[x]!;
          const c1 = cols.i1[x]!;
          const wx = cols.w1[x]!;
          out[r0 + c0] = out[r0 + c0]! + (1 - wy) * (1 - wx) * g;
          out[r0 + c1] = out[r0 + c1]! + (1 - wy) * wx * g;
          out[r1 + c0] = out[r1 + c0]! + wy * (1 - wx) * g;
          out[r1 + c1] = out[r1 + c1]! + wy * wx * g;
        }
      }
    }
  }
}

export async function createCustomOnnxReward(
  settings: CustomRewardSettings,
  onnx: OnnxRuntime,
  options: {
    vjpCache?: VjpCacheOptions;
    where: string;
    assets: AssetFiles;
    /** When a single-file scorer loads from its external-data copy (scorer-file.ts; tests lower minBytes). */
    weightSharing?: Pick<ScorerFileOptions, "setting" | "minBytes">;
  },
): Promise<Reward> {
  const nodeId = settings.id;
  if (settings.modelAsset === "") {
    throw new ExecutorError(
      "MODEL_UNAVAILABLE",
      `${options.where}: no scoring model is chosen. Upload an ONNX scoring model in the node's “Scoring model” field.`,
      { nodeId },
    );
  }
  let file: string;
  try {
    file = await options.assets.scorerFile(settings.modelAsset, options.where);
  } catch (error) {
    throw new ExecutorError("MODEL_UNAVAILABLE", error instanceof Error ? error.message : String(error), {
      nodeId,
      cause: error,
    });
  }
  try {
    // A large single file: its forward and VJP sessions share one mapped copy of the weights.
    file = await scorerSessionFile(file, {
      provider: onnx.executionProvider,
      ...options.weightSharing,
      ...(options.vjpCache ? { vjpCache: options.vjpCache } : {}),
    });
  } catch (error) {
    throw new ExecutorError(
      "MODEL_UNAVAILABLE",
      `${options.where}: the uploaded scoring model could not be prepared for loading (${error instanceof ExternalCopyError ? error.message : "its weights could not be copied into the cache"}). Upload it again.`,
      { nodeId, cause: error },
    );
  }
  let model: OnnxModel;
  try {
    model = await onnx.load(file, { name: "scoring model" });
  } catch (error) {
    // Bounds (timeout, cancel, size cap, special file) say exactly what happened and name no server path.
    if (error instanceof OnnxError && BOUNDED_LOAD_CODES.has(error.code)) {
      throw new ExecutorError("MODEL_UNAVAILABLE", `${options.where}: ${error.message}`, {
        nodeId,
        cause: error,
      });
    }
    // The runtime's message may quote the stored file's absolute path; people get the node and what to do.
    throw new ExecutorError(
      "MODEL_UNAVAILABLE",
      `${options.where}: the uploaded scoring model could not be loaded by ONNX Runtime. Upload a valid ONNX file.`,
      { nodeId, cause: error },
    );
  }
  const input = model.inputs[0];
  const output = model.outputs[0];
  if (!input || !output || model.inputs.length !== 1) {
    throw new ExecutorError(
      "MODEL_UNAVAILABLE",
      `${options.where}: a scoring model must take exactly one input (an image batch) and give an output; the uploaded one has ${model.inputs.length} inputs.`,
      { nodeId },
    );
  }
  // Pictures go in as 3 × resize × resize: a model that declares another fixed size is told apart here, in
  // words, rather than by ONNX Runtime's shape error at the first score.
  const clip = settings.scorerInput === "clip";
  const size = clip ? CLIP_SIZE : settings.resize;
  const expected = input.shape.slice(1);
  const fed = [3, size, size];
  if (expected.length === 3 && expected.some((dim, i) => typeof dim === "number" && dim !== fed[i])) {
    const fix =
      expected[0] === 3 && typeof expected[1] === "number" && expected[1] === expected[2]
        ? clip
          ? ` Set “Scorer input” to “As set below” and “Input size” to ${expected[1]}.`
          : ` Set “Input size” to ${expected[1]}.`
        : " It must take RGB pictures (3 channels) of a square size.";
    throw new ExecutorError(
      "MODEL_UNAVAILABLE",
      `${options.where}: the scoring model expects images of ${expected.join("×")}, got ${fed.join("×")}.${fix}`,
      { nodeId },
    );
  }
  let vjpModel: OnnxModel | null = null;
  const scoresOf = (values: Float32Array, batch: number): Float64Array => {
    const perRow = values.length / batch;
    if (!Number.isInteger(perRow) || settings.outputIndex >= perRow) {
      throw new ExecutorError(
        "MODEL_UNAVAILABLE",
        `${options.where}: score position ${settings.outputIndex} is outside the model's ${perRow} outputs per image.`,
      );
    }
    return Float64Array.from({ length: batch }, (_, b) => values[b * perRow + settings.outputIndex]!);
  };
  const run = async (images: ImageBatch) => {
    requireRgb(options.where, images);
    const inputData = clip ? clipPreprocess(images) : preprocess(images, settings);
    const dims = [images.batch, 3, size, size];
    const outputs = await model.run({ [input.name]: { type: "float32", data: inputData, dims } });
    const values = outputs[output.name];
    if (values?.type !== "float32") {
      throw new ExecutorError(
        "MODEL_UNAVAILABLE",
        `${options.where}: the scoring model's output is not float32.`,
      );
    }
    return { inputData, dims, values: values.data };
  };
  return {
    id: settings.id,
    differentiable: true,
    evaluate: async (images) => scoresOf((await run(images)).values, images.batch),
    async valueAndGradient(images, gradientOut) {
      const { inputData, dims, values } = await run(images);
      const scores = scoresOf(values, images.batch);
      if (!vjpModel) {
        const cached = await getVjpModelForFile(
          file,
          { wrt: [input.name], of: output.name },
          options.vjpCache,
        );
        vjpModel = await onnx.load(cached.file, { name: "scoring model VJP" });
      }
      const cotangent = new Float32Array(values.length);
      const perRow = values.length / images.batch;
      for (let b = 0; b < images.batch; b++) cotangent[b * perRow + settings.outputIndex] = 1;
      const outputs = await vjpModel.run({
        [input.name]: { type: "float32", data: inputData, dims },
        [cotangentInputName(output.name)]: {
          type: "float32",
          data: cotangent,
          dims: output.shape.map((dim, axis) =>
            typeof dim === "number" && dim > 0 ? dim : axis === 0 ? images.batch : perRow,
          ),
        },
      });
      const inputGradient = outputs[gradientOutputName(input.name)];
      if (inputGradient?.type !== "float32") {
        throw new ExecutorError(
          "MODEL_UNAVAILABLE",
          `${options.where}: the scoring model's VJP returned no gradient.`,
        );
      }
      const gradient = gradientBuffer(options.where, images, gradientOut);
      if (clip) clipPreprocessAdjoint(images, inputGradient.data, gradient);
      else preprocessAdjoint(images, settings, inputGradient.data, gradient);
      return { scores, gradient };
    },
  };
}
