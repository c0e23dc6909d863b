/**
 * A model's "Image size" rule (nodes/image-size.ts) from its graphs and configs, and the model as a run at
 * a chosen size sees it. A diffusers/optimum export leaves the UNet's `sample` and the VAE decoder's
 * `latent_sample` height/width dynamic, so one loaded model (one set of sessions) serves every size: only the
 * latent shape the sampler, the chain and the memory check read changes.
 */
import {
  IMAGE_SIZE_LIMIT,
  type ImageSizeRule,
  imageSizeProblem,
  MODEL_DEFAULT_IMAGE_SIZE,
} from "@/nodes/image-size";
import type { DiffusionModel } from "./folder";
import type { GraphSummary, SummaryDim } from "./graph-summary";

/** diffusers' defaults when neither the graphs nor the configs say: AutoencoderKL ×8, UNet2DConditionModel 3. */
const DEFAULT_VAE_SCALE = 8;
const DEFAULT_UNET_DOWNSAMPLINGS = 3;
/** An adjustable model is offered up to twice its default, and at least this (pixels), capped at the limit. */
const OFFERED_UP_TO = 1024;

export interface ImageSizeFacts {
  /** Declared shapes: the UNet's `sample`, the VAE decoder's `latent_sample` and its image output. */
  readonly unetSample: readonly SummaryDim[] | null | undefined;
  readonly vaeLatent: readonly SummaryDim[] | null | undefined;
  readonly vaeOutput: readonly SummaryDim[] | null | undefined;
  readonly unetGraph: GraphSummary | undefined;
  readonly vaeGraph: GraphSummary | undefined;
  readonly unetConfig: Record<string, unknown> | undefined;
  readonly vaeConfig: Record<string, unknown> | undefined;
  /** The latent size a run gets by default (cells). */
  readonly defaultLatent: { readonly height: number; readonly width: number };
}

const fixed = (shape: readonly SummaryDim[] | null | undefined, axis: number): number | undefined => {
  const dim = shape?.[axis];
  return typeof dim === "number" && dim > 0 ? dim : undefined;
};

function blockCount(config: Record<string, unknown> | undefined): number | undefined {
  const blocks = config?.block_out_channels;
  return Array.isArray(blocks) && blocks.length > 0 ? blocks.length : undefined;
}

/** Pixels per latent cell: fixed sizes' ratio, else the decoder's up-samplers, else its config, else 8. */
function vaeScaleOf(facts: ImageSizeFacts): number {
  const latent = fixed(facts.vaeLatent, 2);
  const image = fixed(facts.vaeOutput, 2);
  if (latent !== undefined && image !== undefined && image % latent === 0) return image / latent;
  if (facts.vaeGraph && facts.vaeGraph.upsamplers > 0) return 2 ** facts.vaeGraph.upsamplers;
  const blocks = blockCount(facts.vaeConfig);
  return blocks === undefined ? DEFAULT_VAE_SCALE : 2 ** (blocks - 1);
}

/** Every diffusers down block but the last halves the latent (Downsample2D: a stride-2 convolution). */
function unetDownsamplingsOf(facts: ImageSizeFacts): number {
  if (facts.unetGraph) return facts.unetGraph.stride2Convs;
  const blocks = blockCount(facts.unetConfig);
  return blocks === undefined ? DEFAULT_UNET_DOWNSAMPLINGS : blocks - 1;
}

export function imageSizeRuleOf(facts: ImageSizeFacts): ImageSizeRule {
  const vaeScale = vaeScaleOf(facts);
  const granularity = vaeScale * 2 ** unetDownsamplingsOf(facts);
  const defaultWidth = facts.defaultLatent.width * vaeScale;
  const defaultHeight = facts.defaultLatent.height * vaeScale;
  const spatialDynamic = (shape: readonly SummaryDim[] | null | undefined) =>
    shape !== null && shape !== undefined && shape.length === 4 && !fixed(shape, 2) && !fixed(shape, 3);
  const adjustable =
    spatialDynamic(facts.unetSample) &&
    spatialDynamic(facts.vaeLatent) &&
    // A decoder that declares its picture size fixes it, whatever its input says.
    (facts.vaeOutput === undefined || facts.vaeOutput === null || spatialDynamic(facts.vaeOutput)) &&
    granularity <= IMAGE_SIZE_LIMIT;
  if (!adjustable) {
    const side = Math.max(defaultWidth, defaultHeight);
    return { adjustable, defaultWidth, defaultHeight, vaeScale, granularity, min: side, max: side };
  }
  const upTo = Math.min(IMAGE_SIZE_LIMIT, Math.max(OFFERED_UP_TO, 2 * Math.max(defaultWidth, defaultHeight)));
  return {
    adjustable,
    defaultWidth,
    defaultHeight,
    vaeScale,
    granularity,
    min: granularity,
    max: Math.floor(upTo / granularity) * granularity,
  };
}

/** A size the model cannot draw; the message ends a sentence that names the node and the parameter. */
export class ImageSizeError extends Error {
  override name = "ImageSizeError";
}

/**
 * The model as a run at `size` (square pixels; MODEL_DEFAULT_IMAGE_SIZE = as loaded) sees it: the same
 * sessions, another latent shape. Throws ImageSizeError for a size the model's rule does not allow.
 */
export function modelAtImageSize(model: DiffusionModel, size: number | undefined): DiffusionModel {
  if (size === undefined || size === MODEL_DEFAULT_IMAGE_SIZE) return model;
  const problem = imageSizeProblem(size, model.imageSize);
  if (problem !== undefined) throw new ImageSizeError(problem);
  const side = size / model.imageSize.vaeScale;
  if (side === model.latent.height && side === model.latent.width) return model;
  return { ...model, latent: { channels: model.latent.channels, height: side, width: side } };
}
