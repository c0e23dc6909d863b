import path from "node:path";
import { describe, expect, it } from "vitest";
import type { ConditioningValue, ImageValue, NodeRunContext, NoiseValue } from "@/nodes/context";
import { noiseNode } from "@/nodes/defs/noise";
import { promptNode } from "@/nodes/defs/prompt";
import { samplerNode } from "@/nodes/defs/sampler";
import { createOnnxRuntime } from "@/server/onnx/runtime";
import { createDiffusionRuntime } from "./diffusion-runtime";
import { gaussian } from "./rng";
import { writeTinyModelFolder } from "./testing/tiny-folder";

// Prompt → Noise → Sampler through their `run` functions and the server's real runtime, on a tiny folder.
const dir = writeTinyModelFolder();
const modelId = path.basename(dir);
const contextPromise = (async (): Promise<NodeRunContext> => ({
  signal: new AbortController().signal,
  log: () => {},
  runtime: createDiffusionRuntime({
    onnx: await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 }),
    directories: { bundledDir: dir, userDir: undefined },
  }),
}))();

async function generate(seed: number, batchSeeds: number[], eta: number) {
  const ctx = await contextPromise;
  const prompt = await promptNode.run?.(ctx, {}, promptNode.params.parse({ text: "a red circle" }));
  const noise = await noiseNode.run?.(ctx, {}, noiseNode.params.parse({ seed, batchSeeds }));
  const image = await samplerNode.run?.(
    ctx,
    { conditioning: prompt?.conditioning, noise: noise?.noise },
    samplerNode.params.parse({ model: modelId, steps: 6, eta, guidanceScale: 5 }),
  );
  return {
    conditioning: prompt?.conditioning as ConditioningValue,
    noise: noise?.noise as NoiseValue,
    image: image?.image as ImageValue,
  };
}

describe("Prompt, Noise and Sampler nodes", () => {
  it("lists the model and generates a batch of one image per seed", async () => {
    const ctx = await contextPromise;
    expect((await ctx.runtime.listModels()).map((model) => [model.id, model.valid])).toEqual([
      [modelId, true],
    ]);
    const { image, noise } = await generate(42, [7], 1);
    expect(image.image.batch).toBe(2);
    expect(image.latents).toHaveLength(7);
    expect(noise.seeds).toEqual([42, 7]);
    const tensors = await noise.materialize(modelId, 6);
    expect(Array.from(tensors.xT.subarray(0, 64))).toEqual(Array.from(gaussian(42, 64)));
    expect(Array.from(tensors.xT.subarray(64))).toEqual(Array.from(gaussian(7, 64)));
    expect(tensors.stepNoises).toHaveLength(6);
  });

  it("same seed → identical pixels through the nodes", async () => {
    const a = await generate(3, [], 1);
    const b = await generate(3, [], 1);
    expect(Array.from(a.image.image.data)).toEqual(Array.from(b.image.image.data));
  });

  it("refuses unconnected inputs and unknown models with a clear message", async () => {
    const ctx = await contextPromise;
    const params = samplerNode.params.parse({ model: modelId });
    await expect(samplerNode.run?.(ctx, {}, params)).rejects.toThrow(/Prompt input is not connected/);
    const { conditioning, noise } = await generate(1, [], 0);
    await expect(
      samplerNode.run?.(ctx, { conditioning, noise }, samplerNode.params.parse({ model: "sd-xl-nowhere" })),
    ).rejects.toThrow(/No model "sd-xl-nowhere" on this server. Available: /);
  });
});
