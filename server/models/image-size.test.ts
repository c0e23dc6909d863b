/**
 * The Sampler's Image size on real folders: the tiny SD-1.5 export (dynamic height/width, copied as a user's
 * folder with unet/config.json sample_size 8 → 64 px by default) draws at two sizes through the Prompt, Noise
 * and Sampler nodes and the server's runtime; the bundled tiny-shapes-sd (graphs fixed at 8×8 latents) keeps
 * its size and refuses another with a sentence naming the sizes it draws.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import onnxProto from "onnx-proto";
import { afterAll, describe, expect, it } from "vitest";
import type { ConditioningValue, ImageValue, NodeRunContext, NoiseValue } from "@/nodes/context";
import { noiseNode } from "@/nodes/defs/noise";
import { promptNode } from "@/nodes/defs/prompt";
import { samplerNode } from "@/nodes/defs/sampler";
import { createOnnxRuntime } from "@/server/onnx/runtime";
import { createDiffusionRuntime } from "./diffusion-runtime";
import { listModels } from "./discovery";
import { inspectModelFolder } from "./folder";
import { readGraphSummary } from "./graph-summary";
import { ImageSizeError } from "./image-size";
import { copyTinySdArch } from "./testing/sd-arch-copy";

const { onnx } = onnxProto;
const BUNDLED_DIR = path.resolve(import.meta.dirname, "../../models");
const modelsRoot = mkdtempSync(path.join(tmpdir(), "dno-image-size-"));
copyTinySdArch("sd15", path.join(modelsRoot, "sd15"));
afterAll(() => rmSync(modelsRoot, { recursive: true, force: true }));

const directories = { bundledDir: BUNDLED_DIR, userDir: modelsRoot };
const runtimePromise = (async () =>
  createDiffusionRuntime({
    onnx: await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 }),
    directories,
  }))();

describe("a model's image-size rule", () => {
  it("reads the graphs' inputs and spatial ops without loading the weights", () => {
    const unet = readGraphSummary(path.join(modelsRoot, "sd15/unet/model.onnx"));
    expect(unet?.inputs.find((input) => input.name === "sample")?.shape).toEqual([
      "batch",
      "channels",
      "height",
      "width",
    ]);
    expect(unet?.stride2Convs).toBe(3);
    const vae = readGraphSummary(path.join(modelsRoot, "sd15/vae_decoder/model.onnx"));
    expect(vae?.upsamplers).toBe(3);
    const bundled = readGraphSummary(path.join(BUNDLED_DIR, "tiny-shapes-sd/unet/model.onnx"));
    expect(bundled?.inputs.find((input) => input.name === "sample")?.shape).toEqual(["batch", 4, 8, 8]);
    expect(readGraphSummary(path.join(modelsRoot, "sd15/unet/config.json"))).toBeUndefined();
  });

  it("skips a single-file model's weights: 64 MB of initializers cost one 64-KB read each", () => {
    // Nodes first, then initializers, then inputs: the order protobuf writes a GraphProto in.
    const weights = Array.from({ length: 64 }, (_, index) => ({
      name: `w${index}`,
      dims: [256 * 1024],
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(1024 * 1024),
    }));
    const dim = (value: number | string) =>
      typeof value === "number" ? { dimValue: value } : { dimParam: value };
    const tensor = (name: string, dims: (number | string)[]) => ({
      name,
      type: { tensorType: { elemType: 1, shape: { dim: dims.map(dim) } } },
    });
    const bytes = onnx.ModelProto.encode({
      irVersion: 7,
      opsetImport: [{ domain: "", version: 14 }],
      graph: {
        name: "big",
        node: [
          {
            opType: "Conv",
            input: ["sample", "w0"],
            output: ["a"],
            attribute: [{ name: "strides", ints: [2, 2], type: 7 }],
          },
          { opType: "Resize", input: ["a"], output: ["out_sample"] },
        ],
        initializer: weights,
        input: [tensor("sample", ["batch", 4, "height", "width"])],
        output: [tensor("out_sample", ["batch", 4, "height", "width"])],
      },
    }).finish();
    const file = path.join(modelsRoot, "big.onnx");
    writeFileSync(file, bytes);
    const summary = readGraphSummary(file);
    expect(summary).toMatchObject({
      inputs: [{ name: "sample", shape: ["batch", 4, "height", "width"] }],
      outputs: [{ name: "out_sample", shape: ["batch", 4, "height", "width"] }],
      stride2Convs: 1,
      upsamplers: 1,
    });
    expect(bytes.length).toBeGreaterThan(64 * 1024 * 1024);
    // One read-ahead window per skipped initializer, one for the nodes and one for the inputs.
    expect(summary!.bytesRead).toBeLessThanOrEqual((64 + 2) * 64 * 1024);
  });

  it("is adjustable in 64-px steps for the SD-1.5 export and fixed for the bundled model, in the model list", () => {
    expect(inspectModelFolder(path.join(modelsRoot, "sd15")).imageSize).toEqual({
      adjustable: true,
      defaultWidth: 64,
      defaultHeight: 64,
      vaeScale: 8,
      granularity: 64,
      min: 64,
      max: 1024,
    });
    const listed = new Map(listModels(directories).map((model) => [model.id, model.imageSize]));
    expect(listed.get("user:sd15")).toMatchObject({ adjustable: true, granularity: 64 });
    // 8×8 latents fixed in the graphs, VAE ×8, one UNet down-sampling.
    expect(listed.get("tiny-shapes-sd")).toEqual({
      adjustable: false,
      defaultWidth: 64,
      defaultHeight: 64,
      vaeScale: 8,
      granularity: 16,
      min: 64,
      max: 64,
    });
  });

  it("follows unet/config.json's sample_size for the default", () => {
    const dir = copyTinySdArch("sd15", path.join(modelsRoot, "sd15-at-16"), 16);
    expect(inspectModelFolder(dir).imageSize).toMatchObject({ defaultWidth: 128, granularity: 64 });
  });
});

async function generate(modelId: string, imageSize: number) {
  const runtime = await runtimePromise;
  const ctx: NodeRunContext = { signal: new AbortController().signal, log: () => {}, runtime };
  const prompt = await promptNode.run?.(ctx, {}, promptNode.params.parse({ text: "a red circle" }));
  const noise = await noiseNode.run?.(ctx, {}, noiseNode.params.parse({ seed: 5 }));
  const output = await samplerNode.run?.(
    ctx,
    { conditioning: prompt?.conditioning as ConditioningValue, noise: noise?.noise as NoiseValue },
    samplerNode.params.parse({ model: modelId, steps: 2, eta: 1, guidanceScale: 3, imageSize }),
  );
  return { image: output?.image as ImageValue, noise: noise?.noise as NoiseValue };
}

describe("generating at a chosen size", () => {
  it("draws the SD-1.5 export at its default (64 px) and at 128 px, with latents to match", async () => {
    const small = await generate("user:sd15", 0);
    const large = await generate("user:sd15", 128);
    expect([small.image.image.width, small.image.image.height]).toEqual([64, 64]);
    expect([large.image.image.width, large.image.image.height]).toEqual([128, 128]);
    // x_T … x_0 of one image: 4×8×8 and 4×16×16.
    expect(small.image.latents[0]).toHaveLength(4 * 8 * 8);
    expect(large.image.latents[0]).toHaveLength(4 * 16 * 16);
    expect(large.image.latents.at(-1)).toHaveLength(4 * 16 * 16);
    expect(large.image.image.data.every(Number.isFinite)).toBe(true);
    const runtime = await runtimePromise;
    expect(await runtime.latentShape("user:sd15", 192)).toEqual({ channels: 4, height: 24, width: 24 });
    const noise = await large.noise.materialize("user:sd15", 2, 128);
    expect(noise.latent).toEqual({ channels: 4, height: 16, width: 16 });
    expect(noise.stepNoises[0]).toHaveLength(4 * 16 * 16);
  });

  it("refuses a size off the model's 64-px grid", async () => {
    const runtime = await runtimePromise;
    await expect(runtime.loadModel("user:sd15", 96)).rejects.toThrow(
      "96 px is not possible: choose “Model default” (64 px) or a multiple of 64 px from 64 to 1024",
    );
  });

  it("keeps the bundled model at 64 px and refuses another size with the sizes it draws", async () => {
    const runtime = await runtimePromise;
    const fixed = await generate("tiny-shapes-sd", 64);
    expect([fixed.image.image.width, fixed.image.image.height]).toEqual([64, 64]);
    const refused = runtime.loadModel("tiny-shapes-sd", 128);
    await expect(refused).rejects.toBeInstanceOf(ImageSizeError);
    await expect(refused).rejects.toThrow(
      "128 px is not possible: this model draws only 64×64 px (its graphs fix the size); choose “Model default”",
    );
    await expect(generate("tiny-shapes-sd", 128)).rejects.toThrow(/128 px is not possible/);
  });
});
