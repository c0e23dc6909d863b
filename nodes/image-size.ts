/**
 * The Sampler's "Image size": which square sizes a model can draw. Isomorphic: the server computes a model's
 * rule from its graphs (server/models/image-size.ts) and sends it in the model list; the editor offers only
 * the allowed sizes, and the executor refuses any other with the same sentence.
 *
 * A size must be a multiple of the model's granularity: the VAE's scale factor (pixels per latent cell, 8 for
 * SD) times 2^(the UNet's down-samplings), because every down-sampling halves the latent and the UNet's skip
 * connections must meet their up-sampled partner at the same size (SD: 8 × 2³ = 64 px).
 */

/** The value that means "the size the model declares" (unet/config.json sample_size, its fixed graph size). */
export const MODEL_DEFAULT_IMAGE_SIZE = 0;
/** The largest size any model is offered (pixels); memory, not the graphs, is the real limit beyond it. */
export const IMAGE_SIZE_LIMIT = 2048;
/** Every model's granularity is a multiple of this (a VAE scales by at least 8 in the layouts we load). */
export const IMAGE_SIZE_STEP = 8;

export interface ImageSizeRule {
  /** The UNet's and VAE decoder's height/width are dynamic: a run may pick another size. */
  readonly adjustable: boolean;
  /** The size a run gets with "Model default" (pixels). */
  readonly defaultWidth: number;
  readonly defaultHeight: number;
  /** Pixels per latent cell (the VAE decoder's up-scaling). */
  readonly vaeScale: number;
  /** Allowed sizes are multiples of this (pixels): vaeScale × 2^(UNet down-samplings). */
  readonly granularity: number;
  /** Smallest and largest size offered (pixels, multiples of `granularity`); both equal the default when fixed. */
  readonly min: number;
  readonly max: number;
}

/** The sizes (square, pixels) a model offers besides "Model default", smallest first. */
export function allowedImageSizes(rule: ImageSizeRule): number[] {
  if (!rule.adjustable) return [];
  const sizes: number[] = [];
  for (let size = rule.min; size <= rule.max; size += rule.granularity) sizes.push(size);
  return sizes;
}

/** The model default as people read it: "512 px" or "512×768 px". */
export function defaultSizeText(rule: ImageSizeRule): string {
  return rule.defaultWidth === rule.defaultHeight
    ? `${rule.defaultWidth} px`
    : `${rule.defaultWidth}×${rule.defaultHeight} px`;
}

/** What a model allows, as the end of a sentence. */
export function allowedSizesText(rule: ImageSizeRule): string {
  if (!rule.adjustable) {
    return `this model draws only ${rule.defaultWidth}×${rule.defaultHeight} px (its graphs fix the size); choose “Model default”`;
  }
  return `choose “Model default” (${defaultSizeText(rule)}) or a multiple of ${rule.granularity} px from ${rule.min} to ${rule.max}`;
}

/**
 * Why `size` cannot be drawn by a model with this rule, as a clause ("… is not a multiple of 64 px; …"), or
 * undefined when it can. `MODEL_DEFAULT_IMAGE_SIZE` always can.
 */
export function imageSizeProblem(size: number, rule: ImageSizeRule): string | undefined {
  if (size === MODEL_DEFAULT_IMAGE_SIZE) return undefined;
  if (!rule.adjustable) {
    if (size === rule.defaultWidth && size === rule.defaultHeight) return undefined;
    return `${size} px is not possible: ${allowedSizesText(rule)}`;
  }
  if (!Number.isInteger(size) || size % rule.granularity !== 0 || size < rule.min || size > rule.max) {
    return `${size} px is not possible: ${allowedSizesText(rule)}`;
  }
  return undefined;
}

/** The picture a run draws (pixels) for a chosen size. */
export function resolvedImageSize(size: number, rule: ImageSizeRule): { width: number; height: number } {
  return size === MODEL_DEFAULT_IMAGE_SIZE
    ? { width: rule.defaultWidth, height: rule.defaultHeight }
    : { width: size, height: size };
}

export interface ImageSizeChoice {
  readonly value: number;
  readonly label: string;
}

/**
 * The Image size select's options for a model: "Model default (512 px)" and the allowed sizes. The current
 * value stays listed when the model does not allow it (an old document, another model picked since), marked
 * so, and validation names it. Without a rule (model list not here yet, unreadable graphs) only the default.
 */
export function imageSizeChoices(rule: ImageSizeRule | undefined, current: number): ImageSizeChoice[] {
  const choices: ImageSizeChoice[] = [
    {
      value: MODEL_DEFAULT_IMAGE_SIZE,
      label: rule ? `Model default (${defaultSizeText(rule)})` : "Model default",
    },
    ...(rule ? allowedImageSizes(rule) : []).map((size) => ({ value: size, label: `${size} px` })),
  ];
  if (!choices.some((choice) => choice.value === current)) {
    const possible = rule !== undefined && imageSizeProblem(current, rule) === undefined;
    choices.push({
      value: current,
      label: possible || !rule ? `${current} px` : `${current} px (not possible)`,
    });
  }
  return choices;
}
