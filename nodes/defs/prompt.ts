import { z } from "zod";
import type { ConditioningValue, EncodedPrompt } from "../context";
import { defineNode } from "../types";

/** Longest prompt we accept; CLIP-style encoders truncate far earlier, this only bounds stored documents. */
export const MAX_PROMPT_LENGTH = 2000;

export const promptNode = defineNode({
  type: "prompt",
  version: 1,
  title: "Prompt",
  category: "Inputs",
  description:
    "Describes in words what the picture should show. The text is turned into a conditioning signal that " +
    "steers the Sampler towards your description. The negative text names what you want to avoid; leave it " +
    "empty if there is nothing to avoid.",
  icon: "text",
  inputs: [],
  outputs: [
    {
      name: "conditioning",
      type: "conditioning",
      label: "Conditioning",
      description: "The encoded prompt, ready to steer a Sampler.",
    },
  ],
  params: z.object({
    text: z.string().max(MAX_PROMPT_LENGTH).default("a red circle on a blue background").meta({
      widget: "textarea",
      label: "Prompt",
      help: "Describe the picture you want, e.g. “a red circle on a blue background”.",
      placeholder: "a red circle on a blue background",
    }),
    negativeText: z.string().max(MAX_PROMPT_LENGTH).default("").meta({
      widget: "textarea",
      label: "Negative prompt",
      help: "What the picture should NOT show. Leave empty if there is nothing to avoid.",
      advanced: true,
    }),
  }),
  run(ctx, _inputs, params) {
    // The Sampler decides the model and the batch; encode then, once per (model, batch).
    const encoded = new Map<string, Promise<EncodedPrompt>>();
    const conditioning: ConditioningValue = {
      kind: "conditioning",
      text: params.text,
      negativeText: params.negativeText,
      encode(modelId, batch) {
        const key = `${modelId}\u0000${batch}`;
        let pending = encoded.get(key);
        if (!pending) {
          pending = ctx.runtime.encodePrompt({
            modelId,
            prompts: Array.from({ length: batch }, () => params.text),
            negativePrompt: params.negativeText,
          });
          encoded.set(key, pending);
        }
        return pending;
      },
    };
    return { conditioning };
  },
});
