import { z } from "zod";
import type { ConditioningValue, ImageValue, NoiseValue } from "../context";
import { IMAGE_SIZE_LIMIT, IMAGE_SIZE_STEP, MODEL_DEFAULT_IMAGE_SIZE } from "../image-size";
import { modelIdSchema } from "../model-id";
import { defineNode } from "../types";

/** The model shipped with the app (models/); the server's model list adds any configured ones. */
export const DEFAULT_MODEL_ID = "tiny-shapes-sd";

function isKind<T extends { kind: string }>(value: unknown, kind: T["kind"]): value is T {
  return typeof value === "object" && value !== null && "kind" in value && value.kind === kind;
}

export const samplerNode = defineNode({
  type: "sampler",
  // v2: the last step became noise-free by default (finalStepNoise); v1 documents ran with noise there.
  version: 2,
  title: "Sampler",
  category: "Generation",
  description:
    "Turns noise into a picture with a diffusion model, guided by the prompt. It removes noise in a number " +
    "of steps (DDIM). Eta sets how much fresh noise is added at each step: 0 gives a fully determined path " +
    "from the starting noise, 1 adds the most. Guidance scale sets how strongly the picture follows the prompt.",
  icon: "sparkles",
  inputs: [
    {
      name: "conditioning",
      type: "conditioning",
      label: "Prompt",
      description: "The encoded prompt from a Prompt node.",
      required: true,
    },
    {
      name: "noise",
      type: "noise",
      label: "Noise",
      description: "The starting noise from a Noise node.",
      required: true,
    },
  ],
  outputs: [{ name: "image", type: "image", label: "Image", description: "The generated picture." }],
  params: z.object({
    // An id from the server's model list, never a path (nodes/model-id.ts).
    model: modelIdSchema.default(DEFAULT_MODEL_ID).meta({
      widget: "model",
      label: "Model",
      help: "The diffusion model that draws the picture. The list shows the models installed on the server.",
    }),
    // Absent (documents saved before it existed) = the model's default: no version bump needed. Which sizes a
    // model allows depends on its graphs (nodes/image-size.ts); the editor offers only those and the run
    // refuses others naming this parameter.
    imageSize: z
      .int()
      .min(MODEL_DEFAULT_IMAGE_SIZE)
      .max(IMAGE_SIZE_LIMIT)
      .multipleOf(IMAGE_SIZE_STEP, {
        error: `a size must be a multiple of ${IMAGE_SIZE_STEP} pixels (0 = the model's default)`,
      })
      .default(MODEL_DEFAULT_IMAGE_SIZE)
      .meta({
        widget: "imageSize",
        label: "Image size",
        help:
          "The picture's width and height in pixels. “Model default” uses the size the model was made for. " +
          "Smaller pictures take much less memory and time (a 256 px picture needs about a quarter of a 512 px " +
          "one's), but models draw best near their default. Only models whose graphs allow other sizes offer them.",
        unit: "px",
      }),
    steps: z.int().min(1).max(1000).default(50).meta({
      widget: "slider",
      label: "Steps",
      help: "How many denoising steps. More steps give a cleaner picture but each optimization step takes longer.",
      step: 1,
    }),
    eta: z
      .number()
      .min(0)
      .max(1)
      .default(1)
      .meta({
        widget: "slider",
        label: "Eta",
        help:
          "How much fresh noise is added at each step. 0 = none (only the starting noise matters); 1 = the " +
          "most, which lets the Optimizer also shape the per-step noise.",
        step: 0.01,
      }),
    guidanceScale: z
      .number()
      .min(0)
      .max(30)
      .default(5)
      .meta({
        widget: "slider",
        label: "Guidance scale",
        help:
          "How strongly the picture follows the prompt. 0 ignores the prompt, 1 follows it without extra push, " +
          "around 5 is usual; very high values look harsh.",
        step: 0.1,
      }),
    scheduler: z
      .enum(["ddim"])
      .default("ddim")
      .meta({
        widget: "select",
        label: "Scheduler",
        help: "The denoising method. DDIM is the one Direct Noise Optimization uses.",
        optionLabels: { ddim: "DDIM" },
        advanced: true,
      }),
    // Absent means the new default (false); only a v1 document gets true, from migrateParams below.
    finalStepNoise: z
      .boolean()
      .default(false)
      .meta({
        widget: "checkbox",
        label: "Add noise on the last step",
        help:
          "Off (the usual choice, as in the DNO paper's code): the last denoising step adds no fresh noise, so " +
          "the picture ends clean. On: the last step adds a little noise like every other step, as the " +
          "diffusers library does; pictures then differ slightly. Has no effect when Eta is 0.",
        advanced: true,
      }),
  }),
  migrateParams(fromVersion, params) {
    // Version 1 always added noise on the last step: keep those documents (and their runs) reproducible.
    if (fromVersion >= 2) return params;
    return { ...params, finalStepNoise: true };
  },
  async run(ctx, inputs, params) {
    const conditioning = inputs.conditioning;
    const noise = inputs.noise;
    if (!isKind<ConditioningValue>(conditioning, "conditioning")) {
      throw new Error("Sampler: the Prompt input is not connected to a Prompt node's output");
    }
    if (!isKind<NoiseValue>(noise, "noise")) {
      throw new Error("Sampler: the Noise input is not connected to a Noise node's output");
    }
    const tensors = await noise.materialize(params.model, params.steps, params.imageSize);
    const encoded = await conditioning.encode(params.model, tensors.batch);
    const result = await ctx.runtime.sample({
      modelId: params.model,
      ...(params.imageSize === MODEL_DEFAULT_IMAGE_SIZE ? {} : { imageSize: params.imageSize }),
      conditioning: encoded,
      xT: tensors.xT,
      stepNoises: params.eta > 0 ? tensors.stepNoises : null,
      steps: params.steps,
      eta: params.eta,
      guidanceScale: params.guidanceScale,
      finalStepNoise: params.finalStepNoise,
      signal: ctx.signal,
    });
    const image: ImageValue = {
      kind: "image",
      modelId: params.model,
      image: result.image,
      latents: result.latents,
      seeds: noise.seeds,
      prompt: conditioning.text,
    };
    return { image };
  },
});
