/**
 * Loader for model folders in the diffusers ONNX layout (what `optimum-cli export onnx` and diffusers'
 * `convert_stable_diffusion_checkpoint_to_onnx.py` write):
 *
 *   model_index.json
 *   tokenizer/tokenizer.json (+ tokenizer_config.json)
 *   text_encoder/model.onnx        input_ids [b, T] int → last_hidden_state [b, T, W]
 *   unet/model.onnx                sample [b, C, h, w], timestep, encoder_hidden_states [b, T, W] → out_sample
 *   vae_decoder/model.onnx (+ config.json with scaling_factor)   latent_sample [b, C, h, w] → sample [b, 3, H, W]
 *   scheduler/scheduler_config.json
 *
 * `inspectModelFolder` checks files and configs without loading ONNX (cheap enough for the model list);
 * `loadModelFolder` also opens every ONNX file and checks inputs, types and shapes against each other.
 * Both collect every problem; nothing assumes the bundled model's sizes (SD-1.5: 4×64×64 latents, 77 tokens).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { ImageSizeRule } from "@/nodes/image-size";
import { decodeModel } from "@/server/autodiff/proto";
import { OnnxError } from "@/server/onnx/errors";
import type { ElementType, OnnxModel, OnnxRuntime, TensorSpec } from "@/server/onnx/types";
import { clipTokenizerJson } from "./clip-tokenizer";
import { ModelFolderError, type ModelFolderProblem } from "./errors";
import { readGraphSummary } from "./graph-summary";
import { imageSizeRuleOf } from "./image-size";
import { type DdimConfig, ddimConfigSchema, SUPPORTED_PREDICTION_TYPES } from "./scheduler/ddim";
import { createPromptTokenizer, declaredTokenizerLength, type PromptTokenizer } from "./tokenizer";

export const REQUIRED_FILES = [
  "model_index.json",
  "tokenizer/tokenizer.json",
  "text_encoder/model.onnx",
  "unet/model.onnx",
  "vae_decoder/model.onnx",
  "scheduler/scheduler_config.json",
] as const;

/** DDIM runs natively; the others share its noise-schedule fields, so their configs drive DDIM as in diffusers. */
export const SUPPORTED_SCHEDULERS = [
  "DDIMScheduler",
  "PNDMScheduler",
  "DDPMScheduler",
  "LMSDiscreteScheduler",
  "EulerDiscreteScheduler",
  "EulerAncestralDiscreteScheduler",
  "DPMSolverMultistepScheduler",
] as const;

/** diffusers' AutoencoderKL default, used when vae_decoder/config.json does not say. */
export const DEFAULT_VAE_SCALING_FACTOR = 0.18215;

export interface LatentShape {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
}

export interface ModelFolderInspection {
  readonly dir: string;
  readonly name: string;
  readonly problems: ModelFolderProblem[];
  readonly scheduler?: DdimConfig;
  readonly vaeScalingFactor: number;
  readonly tokenizerJson?: unknown;
  readonly tokenizerConfig?: unknown;
  /** Optional configs used to size dynamic dimensions. */
  readonly unetConfig?: Record<string, unknown>;
  readonly textEncoderConfig?: Record<string, unknown>;
  readonly vaeConfig?: Record<string, unknown>;
  /** Which image sizes a run may choose (read from the graphs' declared inputs); absent when undetermined. */
  readonly imageSize?: ImageSizeRule;
}

export interface DiffusionModel {
  readonly dir: string;
  readonly name: string;
  readonly textEncoder: OnnxModel;
  readonly unet: OnnxModel;
  readonly vaeDecoder: OnnxModel;
  readonly tokenizer: PromptTokenizer;
  readonly scheduler: DdimConfig;
  readonly vaeScalingFactor: number;
  /** The latent a run at the model's default size samples (a run's chosen size: image-size.ts). */
  readonly latent: LatentShape;
  /** Which image sizes a run may choose (square, pixels) and the VAE's pixels per latent cell. */
  readonly imageSize: ImageSizeRule;
  /** Text encoder sequence length and hidden width. */
  readonly tokens: number;
  readonly hiddenWidth: number;
  /** Names and element types the models actually declare (exports differ: int32 vs int64 ids, float timesteps). */
  readonly io: {
    readonly inputIds: { readonly name: string; readonly type: "int64" | "int32" };
    readonly hiddenOutput: string;
    readonly timestep: { readonly type: "int64" | "int32" | "float32"; readonly rank: number };
    readonly unetOutput: string;
    readonly vaeInput: string;
    readonly vaeOutput: string;
  };
  /** Batch sizes a model accepts: null = any (dynamic). */
  readonly fixedBatch: {
    readonly textEncoder: number | null;
    readonly unet: number | null;
    readonly vae: number | null;
  };
  /** Warnings found while loading (errors throw instead). */
  readonly warnings: readonly ModelFolderProblem[];
}

const modelIndexSchema = z
  .object({ _class_name: z.string().optional(), _name_or_path: z.string().optional() })
  .loose();
const schedulerClassSchema = z.object({ _class_name: z.string().optional() }).loose();
const vaeConfigSchema = z.object({ scaling_factor: z.number().positive().optional() }).loose();

function readJson(dir: string, file: string, problems: ModelFolderProblem[], required: boolean): unknown {
  const full = path.join(dir, file);
  if (!existsSync(full)) {
    if (required) {
      problems.push({ code: "file-missing", severity: "error", file, message: `missing file ${file}` });
    }
    return undefined;
  }
  try {
    return JSON.parse(readFileSync(full, "utf8"));
  } catch (error) {
    problems.push({
      code: "bad-json",
      severity: "error",
      file,
      message: `not valid JSON (${error instanceof Error ? error.message : String(error)})`,
    });
    return undefined;
  }
}

/**
 * SD exports usually ship CLIPTokenizer's vocab.json + merges.txt instead of tokenizer.json: rebuild the JSON
 * (CLIP only; another slow tokenizer is reported as missing its tokenizer.json).
 */
function clipTokenizerFromSlowFiles(
  dir: string,
  tokenizerConfig: unknown,
  problems: ModelFolderProblem[],
): unknown {
  const file = "tokenizer/tokenizer.json";
  const hasSlowFiles =
    existsSync(path.join(dir, "tokenizer/vocab.json")) && existsSync(path.join(dir, "tokenizer/merges.txt"));
  const tokenizerClass = asRecord(tokenizerConfig)?.tokenizer_class;
  const isClip =
    tokenizerClass === undefined ||
    (typeof tokenizerClass === "string" && tokenizerClass.startsWith("CLIPTokenizer"));
  if (!hasSlowFiles || !isClip) {
    problems.push({
      code: "file-missing",
      severity: "error",
      file,
      message:
        "missing file tokenizer/tokenizer.json" +
        (hasSlowFiles
          ? ` (vocab.json/merges.txt of a ${String(tokenizerClass)} found: save the fast tokenizer with ` +
            "`AutoTokenizer.from_pretrained(dir).save_pretrained(dir)` in Python to write tokenizer.json)"
          : ""),
    });
    return undefined;
  }
  const vocab = z
    .record(z.string(), z.number().int())
    .safeParse(readJson(dir, "tokenizer/vocab.json", problems, true));
  if (!vocab.success) {
    problems.push({
      code: "tokenizer",
      severity: "error",
      file: "tokenizer/vocab.json",
      message: "must map tokens to integer ids",
    });
    return undefined;
  }
  try {
    return clipTokenizerJson(vocab.data, readFileSync(path.join(dir, "tokenizer/merges.txt"), "utf8"));
  } catch (error) {
    problems.push({
      code: "tokenizer",
      severity: "error",
      file: "tokenizer/vocab.json",
      message: error instanceof Error ? error.message : String(error),
    });
    return undefined;
  }
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Files and configs only: no ONNX session is created. */
export function inspectModelFolder(dir: string): ModelFolderInspection {
  const absolute = path.resolve(dir);
  const problems: ModelFolderProblem[] = [];
  const name = path.basename(absolute);
  if (!existsSync(absolute) || !statSync(absolute).isDirectory()) {
    problems.push({
      code: "folder-missing",
      severity: "error",
      file: ".",
      message: `${absolute} is not a directory`,
    });
    return { dir: absolute, name, problems, vaeScalingFactor: DEFAULT_VAE_SCALING_FACTOR };
  }

  const modelIndex = readJson(absolute, "model_index.json", problems, true);
  if (modelIndex !== undefined && !modelIndexSchema.safeParse(modelIndex).success) {
    problems.push({
      code: "bad-config",
      severity: "error",
      file: "model_index.json",
      message: "must be a JSON object",
    });
  }
  for (const file of ["text_encoder/model.onnx", "unet/model.onnx", "vae_decoder/model.onnx"]) {
    const full = path.join(absolute, file);
    if (!existsSync(full)) {
      problems.push({ code: "file-missing", severity: "error", file, message: `missing file ${file}` });
    } else if (statSync(full).size === 0) {
      problems.push({ code: "corrupt-onnx", severity: "error", file, message: `${file} is empty` });
    }
  }

  let tokenizerJson = readJson(absolute, "tokenizer/tokenizer.json", problems, false);
  const tokenizerConfig = readJson(absolute, "tokenizer/tokenizer_config.json", problems, false);
  if (tokenizerJson === undefined && !existsSync(path.join(absolute, "tokenizer/tokenizer.json"))) {
    tokenizerJson = clipTokenizerFromSlowFiles(absolute, tokenizerConfig, problems);
  }

  let scheduler: DdimConfig | undefined;
  const schedulerJson = readJson(absolute, "scheduler/scheduler_config.json", problems, true);
  if (schedulerJson !== undefined) {
    const className = schedulerClassSchema.safeParse(schedulerJson).data?._class_name;
    if (className === undefined || !(SUPPORTED_SCHEDULERS as readonly string[]).includes(className)) {
      problems.push({
        code: "unsupported-scheduler",
        severity: "error",
        file: "scheduler/scheduler_config.json",
        message: `scheduler _class_name ${className === undefined ? "is missing" : `"${className}" is not supported`}; supported: ${SUPPORTED_SCHEDULERS.join(", ")}`,
      });
    }
    const parsed = ddimConfigSchema.safeParse(schedulerJson);
    if (!parsed.success) {
      problems.push({
        code: "bad-config",
        severity: "error",
        file: "scheduler/scheduler_config.json",
        message: parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; "),
      });
    } else {
      scheduler = parsed.data;
      if (!(SUPPORTED_PREDICTION_TYPES as readonly string[]).includes(scheduler.prediction_type)) {
        problems.push({
          code: "unsupported-option",
          severity: "error",
          file: "scheduler/scheduler_config.json",
          message: `prediction_type "${scheduler.prediction_type}" is not supported; supported: ${SUPPORTED_PREDICTION_TYPES.join(", ")}`,
        });
      }
      if (scheduler.rescale_betas_zero_snr) {
        problems.push({
          code: "unsupported-option",
          severity: "error",
          file: "scheduler/scheduler_config.json",
          message:
            "rescale_betas_zero_snr is true, which DNO's sampler does not implement; set it to false only if the model was trained without it",
        });
      }
      if (scheduler.clip_sample) {
        problems.push({
          code: "unsupported-option",
          severity: "warning",
          file: "scheduler/scheduler_config.json",
          message:
            "clip_sample is true; DNO's sampler does not clip the predicted x0 (it must stay differentiable)",
        });
      }
    }
  }

  let vaeScalingFactor = DEFAULT_VAE_SCALING_FACTOR;
  const vaeConfig = readJson(absolute, "vae_decoder/config.json", problems, false);
  if (vaeConfig === undefined && !existsSync(path.join(absolute, "vae_decoder/config.json"))) {
    problems.push({
      code: "file-missing",
      severity: "warning",
      file: "vae_decoder/config.json",
      message: `missing; using diffusers' default latent scaling factor ${DEFAULT_VAE_SCALING_FACTOR}`,
    });
  } else if (vaeConfig !== undefined) {
    const parsed = vaeConfigSchema.safeParse(vaeConfig);
    if (!parsed.success) {
      problems.push({
        code: "bad-config",
        severity: "error",
        file: "vae_decoder/config.json",
        message: "scaling_factor must be a positive number",
      });
    } else if (parsed.data.scaling_factor !== undefined) {
      vaeScalingFactor = parsed.data.scaling_factor;
    }
  }

  const unetConfig = asRecord(readJson(absolute, "unet/config.json", problems, false));
  const textEncoderConfig = asRecord(readJson(absolute, "text_encoder/config.json", problems, false));
  const indexName = modelIndexSchema.safeParse(modelIndex).data?._name_or_path;
  const imageSize = problems.some((problem) => problem.severity === "error")
    ? undefined
    : inspectImageSize(absolute, {
        unetConfig,
        textEncoderConfig,
        vaeConfig: asRecord(vaeConfig),
        scheduler,
      });
  return {
    dir: absolute,
    name: indexName && !indexName.includes("/") && !indexName.startsWith(".") ? indexName : name,
    problems,
    scheduler,
    vaeScalingFactor,
    tokenizerJson,
    tokenizerConfig,
    unetConfig,
    textEncoderConfig,
    vaeConfig: asRecord(vaeConfig),
    ...(imageSize ? { imageSize } : {}),
  };
}

/**
 * The latent side a run gets by default when the graphs leave it dynamic: unet/config.json's sample_size,
 * else what diffusers' pipelines use for these architectures (`assumed`: the loader warns).
 */
function defaultSampleSize(
  unetConfig: Record<string, unknown> | undefined,
  hiddenWidth: number | undefined,
  scheduler: DdimConfig | undefined,
): { size: number; assumed: false } | { size: number; assumed: true; v768: boolean } | undefined {
  const configured = configNumber(unetConfig, "sample_size");
  if (configured !== undefined) return { size: configured, assumed: false };
  if (!scheduler) return undefined;
  const v768 = hiddenWidth === 1024 && scheduler.prediction_type === "v_prediction";
  return { size: v768 ? 96 : 64, assumed: true, v768 };
}

/** The image-size rule from the graphs' declared inputs (no session), for the model list. */
function inspectImageSize(
  dir: string,
  configs: {
    unetConfig: Record<string, unknown> | undefined;
    textEncoderConfig: Record<string, unknown> | undefined;
    vaeConfig: Record<string, unknown> | undefined;
    scheduler: DdimConfig | undefined;
  },
): ImageSizeRule | undefined {
  const unetGraph = readGraphSummary(path.join(dir, "unet/model.onnx"));
  const vaeGraph = readGraphSummary(path.join(dir, "vae_decoder/model.onnx"));
  if (!unetGraph || !vaeGraph) return undefined;
  const sample = unetGraph.inputs.find((input) => input.name === "sample")?.shape;
  const latent = vaeGraph.inputs.find((input) => input.name === "latent_sample")?.shape;
  const image = (vaeGraph.outputs.find((output) => output.name === "sample") ?? vaeGraph.outputs[0])?.shape;
  const fixedAt = (shape: typeof sample, axis: number) => {
    const dim = shape?.[axis];
    return typeof dim === "number" && dim > 0 ? dim : undefined;
  };
  const hidden = unetGraph.inputs.find((input) => input.name === "encoder_hidden_states")?.shape;
  const fallback = defaultSampleSize(
    configs.unetConfig,
    fixedAt(hidden, 2) ?? configNumber(configs.textEncoderConfig, "hidden_size"),
    configs.scheduler,
  )?.size;
  const height = fixedAt(sample, 2) ?? fixedAt(latent, 2) ?? fallback;
  const width = fixedAt(sample, 3) ?? fixedAt(latent, 3) ?? fallback;
  if (height === undefined || width === undefined) return undefined;
  return imageSizeRuleOf({
    unetSample: sample,
    vaeLatent: latent,
    vaeOutput: image,
    unetGraph,
    vaeGraph,
    unetConfig: configs.unetConfig,
    vaeConfig: configs.vaeConfig,
    defaultLatent: { height, width },
  });
}

function fixedDim(spec: TensorSpec | undefined, axis: number): number | undefined {
  const dim = spec?.shape[axis];
  return typeof dim === "number" && dim > 0 ? dim : undefined;
}

function shapeText(spec: TensorSpec): string {
  return `${spec.type} [${spec.shape.join(", ")}]`;
}

function configNumber(config: Record<string, unknown> | undefined, key: string): number | undefined {
  const value = config?.[key];
  if (typeof value === "number" && Number.isInteger(value) && value > 0) return value;
  // unet/config.json may give sample_size as [h, w].
  if (Array.isArray(value) && typeof value[0] === "number") return value[0];
  return undefined;
}

interface InputExpectation {
  name: string;
  types: readonly ElementType[];
  ranks: readonly number[];
  /** Fixed sizes by axis that a compatible model must have (when the model fixes them). */
  description: string;
}

function checkInputs(
  file: string,
  model: OnnxModel,
  expectations: readonly InputExpectation[],
  problems: ModelFolderProblem[],
): void {
  const declared = new Map(model.inputs.map((input) => [input.name, input]));
  for (const expectation of expectations) {
    const spec = declared.get(expectation.name);
    if (!spec) {
      problems.push({
        code: "input-missing",
        severity: "error",
        file,
        message: `model has no input "${expectation.name}" (expected ${expectation.description}); its inputs are: ${model.inputs.map((input) => `${input.name} ${shapeText(input)}`).join(", ")}`,
      });
      continue;
    }
    if (spec.type === "float16") {
      problems.push({
        code: "input-type",
        severity: "error",
        file,
        message: `input "${spec.name}" is float16; only float32 exports are supported (export without --fp16)`,
      });
    } else if (!(expectation.types as readonly string[]).includes(spec.type)) {
      problems.push({
        code: "input-type",
        severity: "error",
        file,
        message: `input "${spec.name}" has type ${spec.type}, expected ${expectation.types.join(" or ")}`,
      });
    }
    if (!expectation.ranks.includes(spec.shape.length)) {
      problems.push({
        code: "input-shape",
        severity: "error",
        file,
        message: `input "${spec.name}" has shape [${spec.shape.join(", ")}], expected ${expectation.description}`,
      });
    }
  }
  const known = new Set(expectations.map((expectation) => expectation.name));
  for (const input of model.inputs) {
    if (!known.has(input.name)) {
      problems.push({
        code: "input-unexpected",
        severity: "error",
        file,
        message: `unexpected input "${input.name}" ${shapeText(input)}; expected exactly: ${[...known].join(", ")}`,
      });
    }
  }
}

function pickOutput(model: OnnxModel, preferred: string): TensorSpec | undefined {
  return model.outputs.find((output) => output.name === preferred) ?? model.outputs[0];
}

/** The text encoder's per-token states: `last_hidden_state`, else `hidden_states`, else its first output. */
function pickHiddenOutput(model: OnnxModel): TensorSpec | undefined {
  return (
    model.outputs.find((output) => output.name === "last_hidden_state") ??
    model.outputs.find((output) => output.name === "hidden_states") ??
    model.outputs[0]
  );
}

/** Graph files up to this size are read to find sizes the inputs leave dynamic (weights usually live beside). */
const GRAPH_SCAN_MAX_BYTES = 64 * 1024 * 1024;

/**
 * The input channels of the first convolution that reads `input` (the UNet's conv_in weight is
 * [out, in, k, k]), for exports whose inputs are fully dynamic and that ship no config.json.
 */
export function inputChannelsFromGraph(file: string, input: string): number | undefined {
  try {
    if (statSync(file).size > GRAPH_SCAN_MAX_BYTES) return undefined;
    const graph = decodeModel(readFileSync(file)).graph;
    const conv = graph.nodes.find((node) => node.opType === "Conv" && node.inputs[0] === input);
    const weight = conv && graph.initializers.find((tensor) => tensor.name === conv.inputs[1]);
    const dim = weight?.dims?.[1];
    const channels = dim === undefined || dim === null ? undefined : Number(dim);
    return channels !== undefined && Number.isInteger(channels) && channels > 0 ? channels : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Loads and validates a model folder; throws ModelFolderError listing every problem found.
 * Sessions come from `runtime` (cached by file hash, so loading twice is cheap).
 */
export async function loadModelFolder(
  dir: string,
  options: { runtime: OnnxRuntime },
): Promise<DiffusionModel> {
  const inspection = inspectModelFolder(dir);
  const problems = inspection.problems;
  if (problems.some((problem) => problem.code === "folder-missing")) {
    throw new ModelFolderError(inspection.dir, problems);
  }

  const load = async (file: string, name: string): Promise<OnnxModel | undefined> => {
    const full = path.join(inspection.dir, file);
    if (!existsSync(full) || statSync(full).size === 0) return undefined;
    try {
      return await options.runtime.load(full, { name });
    } catch (error) {
      // A cancelled or timed-out load says nothing about the file: it ends the load as it is.
      if (error instanceof OnnxError && (error.code === "ONNX_CANCELLED" || error.code === "ONNX_TIMEOUT")) {
        throw error;
      }
      const message = error instanceof Error ? error.message : String(error);
      problems.push({
        code: "corrupt-onnx",
        severity: "error",
        file,
        message: `cannot be loaded as ONNX: ${message}`,
      });
      return undefined;
    }
  };
  const textEncoder = await load("text_encoder/model.onnx", "text_encoder");
  const unet = await load("unet/model.onnx", "unet");
  const vaeDecoder = await load("vae_decoder/model.onnx", "vae_decoder");

  if (textEncoder) {
    checkInputs(
      "text_encoder/model.onnx",
      textEncoder,
      [
        {
          name: "input_ids",
          types: ["int64", "int32"],
          ranks: [2],
          description: "int64 or int32 [batch, tokens]",
        },
      ],
      problems,
    );
  }
  if (unet) {
    checkInputs(
      "unet/model.onnx",
      unet,
      [
        {
          name: "sample",
          types: ["float32"],
          ranks: [4],
          description: "float32 [batch, channels, height, width]",
        },
        {
          name: "timestep",
          types: ["int64", "int32", "float32"],
          ranks: [0, 1],
          description: "a scalar or [batch]",
        },
        {
          name: "encoder_hidden_states",
          types: ["float32"],
          ranks: [3],
          description: "float32 [batch, tokens, width]",
        },
      ],
      problems,
    );
  }
  if (vaeDecoder) {
    checkInputs(
      "vae_decoder/model.onnx",
      vaeDecoder,
      [
        {
          name: "latent_sample",
          types: ["float32"],
          ranks: [4],
          description: "float32 [batch, channels, height, width]",
        },
      ],
      problems,
    );
  }

  const inputIds = textEncoder?.inputs.find((input) => input.name === "input_ids");
  const hiddenOutput = textEncoder ? pickHiddenOutput(textEncoder) : undefined;
  const sample = unet?.inputs.find((input) => input.name === "sample");
  const timestep = unet?.inputs.find((input) => input.name === "timestep");
  const hiddenInput = unet?.inputs.find((input) => input.name === "encoder_hidden_states");
  const unetOutput = unet ? pickOutput(unet, "out_sample") : undefined;
  const latentInput = vaeDecoder?.inputs.find((input) => input.name === "latent_sample");
  const vaeOutput = vaeDecoder ? pickOutput(vaeDecoder, "sample") : undefined;

  if (hiddenOutput && hiddenOutput.shape.length !== 3) {
    problems.push({
      code: "output-shape",
      severity: "error",
      file: "text_encoder/model.onnx",
      message: `output "${hiddenOutput.name}" has shape [${hiddenOutput.shape.join(", ")}], expected [batch, tokens, width]`,
    });
  }
  if (vaeOutput && (vaeOutput.shape.length !== 4 || (fixedDim(vaeOutput, 1) ?? 3) !== 3)) {
    problems.push({
      code: "output-shape",
      severity: "error",
      file: "vae_decoder/model.onnx",
      message: `output "${vaeOutput.name}" has shape [${vaeOutput.shape.join(", ")}], expected [batch, 3, height, width]`,
    });
  }

  // Sizes: from the models' fixed dimensions first, then the configs diffusers writes beside them.
  const tokens =
    fixedDim(inputIds, 1) ??
    fixedDim(hiddenInput, 1) ??
    declaredTokenizerLength(inspection.tokenizerJson, inspection.tokenizerConfig) ??
    configNumber(inspection.textEncoderConfig, "max_position_embeddings");
  const hiddenWidth =
    fixedDim(hiddenOutput, 2) ??
    fixedDim(hiddenInput, 2) ??
    configNumber(inspection.textEncoderConfig, "hidden_size");
  const channels =
    fixedDim(sample, 1) ??
    fixedDim(latentInput, 1) ??
    configNumber(inspection.unetConfig, "in_channels") ??
    (unet ? inputChannelsFromGraph(unet.path, "sample") : undefined);
  const assumedSize = defaultSampleSize(inspection.unetConfig, hiddenWidth, inspection.scheduler);
  let sampleSize = assumedSize?.assumed === false ? assumedSize.size : undefined;
  if (
    assumedSize?.assumed === true &&
    unet &&
    (fixedDim(sample, 2) ?? fixedDim(latentInput, 2)) === undefined
  ) {
    // Public exports (the runwayml ONNX branch) ship no unet/config.json and leave height/width dynamic:
    // take the size diffusers' pipelines default to for these architectures.
    const v768 = assumedSize.v768;
    sampleSize = assumedSize.size;
    problems.push({
      code: "file-missing",
      severity: "warning",
      file: "unet/config.json",
      message:
        `the export does not fix the latent size; using ${sampleSize}×${sampleSize} latents (${sampleSize * 8}×${sampleSize * 8} pixels), ` +
        (v768
          ? "the default of v-prediction SD-2.x models"
          : "the default of SD-1.x and SD-2.x-base models") +
        '; add unet/config.json with "sample_size" to choose another',
    });
  }
  const height = fixedDim(sample, 2) ?? fixedDim(latentInput, 2) ?? sampleSize;
  const width = fixedDim(sample, 3) ?? fixedDim(latentInput, 3) ?? sampleSize;

  const undetermined = (what: string, file: string, hint: string) =>
    problems.push({
      code: "incompatible",
      severity: "error",
      file,
      message: `cannot determine ${what}: ${hint}`,
    });
  if (textEncoder && unet && tokens === undefined) {
    undetermined(
      "the token length",
      "text_encoder/model.onnx",
      "input_ids has a dynamic length and neither tokenizer_config.json model_max_length nor text_encoder/config.json max_position_embeddings is set",
    );
  }
  if (textEncoder && unet && hiddenWidth === undefined) {
    undetermined(
      "the text hidden width",
      "text_encoder/model.onnx",
      "its output and the UNet's encoder_hidden_states are dynamic and text_encoder/config.json has no hidden_size",
    );
  }
  if (unet && (channels === undefined || height === undefined || width === undefined)) {
    undetermined(
      "the latent size",
      "unet/model.onnx",
      'its input "sample" has dynamic dimensions and unet/config.json has no in_channels/sample_size',
    );
  }

  // Cross-model agreement where both sides fix a size.
  const mismatch = (
    file: string,
    what: string,
    a: number | undefined,
    b: number | undefined,
    other: string,
  ) => {
    if (a !== undefined && b !== undefined && a !== b) {
      problems.push({
        code: "incompatible",
        severity: "error",
        file,
        message: `${what} is ${a} but ${other} is ${b}`,
      });
    }
  };
  mismatch(
    "unet/model.onnx",
    "encoder_hidden_states width",
    fixedDim(hiddenInput, 2),
    fixedDim(hiddenOutput, 2),
    "the text encoder's output width",
  );
  mismatch(
    "unet/model.onnx",
    "encoder_hidden_states length",
    fixedDim(hiddenInput, 1),
    fixedDim(inputIds, 1),
    "the text encoder's token length",
  );
  mismatch(
    "vae_decoder/model.onnx",
    "latent_sample channels",
    fixedDim(latentInput, 1),
    fixedDim(sample, 1),
    "the UNet's sample channels",
  );
  mismatch(
    "unet/model.onnx",
    "out_sample channels",
    fixedDim(unetOutput, 1),
    fixedDim(sample, 1),
    "its sample channels",
  );

  let tokenizer: PromptTokenizer | undefined;
  if (inspection.tokenizerJson !== undefined && tokens !== undefined) {
    try {
      tokenizer = createPromptTokenizer(inspection.tokenizerJson, inspection.tokenizerConfig, tokens);
    } catch (error) {
      problems.push({
        code: "tokenizer",
        severity: "error",
        file: "tokenizer/tokenizer.json",
        message: `cannot be loaded by @huggingface/tokenizers: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }

  if (
    problems.some((problem) => problem.severity === "error") ||
    !textEncoder ||
    !unet ||
    !vaeDecoder ||
    !tokenizer ||
    !inspection.scheduler ||
    !inputIds ||
    !hiddenOutput ||
    !timestep ||
    !sample ||
    !unetOutput ||
    !vaeOutput ||
    tokens === undefined ||
    hiddenWidth === undefined ||
    channels === undefined ||
    height === undefined ||
    width === undefined
  ) {
    throw new ModelFolderError(inspection.dir, problems);
  }

  return {
    dir: inspection.dir,
    name: inspection.name,
    textEncoder,
    unet,
    vaeDecoder,
    tokenizer,
    scheduler: inspection.scheduler,
    vaeScalingFactor: inspection.vaeScalingFactor,
    latent: { channels, height, width },
    imageSize: imageSizeRuleOf({
      unetSample: sample.shape,
      vaeLatent: latentInput?.shape,
      vaeOutput: vaeOutput.shape,
      unetGraph: readGraphSummary(unet.path),
      vaeGraph: readGraphSummary(vaeDecoder.path),
      unetConfig: inspection.unetConfig,
      vaeConfig: inspection.vaeConfig,
      defaultLatent: { height, width },
    }),
    tokens,
    hiddenWidth,
    io: {
      inputIds: { name: "input_ids", type: inputIds.type === "int32" ? "int32" : "int64" },
      hiddenOutput: hiddenOutput.name,
      timestep: {
        type: timestep.type === "int32" ? "int32" : timestep.type === "float32" ? "float32" : "int64",
        rank: timestep.shape.length,
      },
      unetOutput: unetOutput.name,
      vaeInput: "latent_sample",
      vaeOutput: vaeOutput.name,
    },
    fixedBatch: {
      textEncoder: fixedDim(inputIds, 0) ?? null,
      unet: fixedDim(sample, 0) ?? null,
      vae: fixedDim(latentInput, 0) ?? null,
    },
    warnings: problems.filter((problem) => problem.severity === "warning"),
  };
}
