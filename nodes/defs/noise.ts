import { z } from "zod";
import type { NoiseTensors, NoiseValue } from "../context";
import { defineNode } from "../types";

/** Seeds are unsigned 32-bit integers, the range of the seeded random generator. */
export const MAX_SEED = 4_294_967_295;
/** Extra seeds run side by side; each one is a full optimization, so keep the batch small. */
export const MAX_BATCH_SEEDS = 16;

const seedSchema = z.int().min(0).max(MAX_SEED);

export const noiseNode = defineNode({
  type: "noise",
  version: 1,
  title: "Noise",
  category: "Inputs",
  description:
    "The random starting point of a picture. The same seed always gives the same noise, so the same picture. " +
    "This noise is what the Optimizer changes, step by step, to raise the reward: it can change only the " +
    "initial noise, or also the small amount of fresh noise the Sampler adds at each of its steps.",
  icon: "dice",
  inputs: [],
  outputs: [
    {
      name: "noise",
      type: "noise",
      label: "Noise",
      description: "The starting noise (and per-step noise) for a Sampler.",
    },
  ],
  params: z.object({
    seed: seedSchema.default(42).meta({
      widget: "seed",
      label: "Seed",
      help: "Picks the random starting noise. The same seed gives the same picture; roll the dice for another.",
    }),
    batchSeeds: z
      .array(seedSchema)
      .max(MAX_BATCH_SEEDS)
      .default([])
      .meta({
        widget: "seedList",
        label: "Extra seeds",
        help:
          "More seeds to run as a batch next to the main one: each gives its own picture and is optimized " +
          "on its own. Leave empty for a single picture.",
        advanced: true,
      }),
    optimize: z
      .enum(["initial", "initial-and-steps"])
      .default("initial-and-steps")
      .meta({
        widget: "select",
        label: "What to optimize",
        help:
          "“Initial noise only” changes just the starting noise. “Initial and per-step noise” also changes " +
          "the fresh noise the Sampler adds at every step, which gives the Optimizer more freedom. Per-step " +
          "noise only matters when the Sampler's eta is above 0; with eta = 0 only the initial noise counts.",
        optionLabels: { initial: "Initial noise only", "initial-and-steps": "Initial and per-step noise" },
      }),
  }),
  run(ctx, _inputs, params) {
    // Image b of the batch uses seeds[b]: x_T = gaussian(seed), step i's noise = gaussian(stepNoiseSeed(seed, i))
    // (server/models/noise.ts documents the derivation). The latent shape comes from the Sampler's model.
    const seeds = [params.seed, ...params.batchSeeds];
    const drawn = new Map<string, Promise<NoiseTensors>>();
    const noise: NoiseValue = {
      kind: "noise",
      seeds,
      optimize: params.optimize,
      materialize(modelId, steps, imageSize = 0) {
        const key = `${modelId}\u0000${steps}\u0000${imageSize}`;
        let pending = drawn.get(key);
        if (!pending) {
          pending = ctx.runtime.seededNoise({ modelId, seeds, steps, ...(imageSize ? { imageSize } : {}) });
          drawn.set(key, pending);
        }
        return pending;
      },
    };
    return { noise };
  },
});
