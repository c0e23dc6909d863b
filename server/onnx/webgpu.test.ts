/**
 * The WebGPU execution provider against the CPU provider, on SwiftShader (a Vulkan driver that runs on the
 * CPU, from Debian's chromium package; see testing/swiftshader.ts). Same inputs on both; the smallest work
 * that runs every model of the bundled tiny-shapes-sd once: one prompt, one DDIM step with guidance (the
 * UNet at batch 2), the VAE decoder, then one DNO iteration's gradient (VAE-decoder VJP, UNet VJP) and the
 * classifier with its VJP. SwiftShader emulates the GPU on the CPU (seconds per call, most of it compiling
 * shaders once): this proves the code path and the numerics, never a speed.
 *
 * Tolerance: max |cpu − webgpu| / max |cpu| (the largest magnitude of the CPU result; floored at 1 for
 * forward outputs, whose values are O(1)). The providers use different kernels (WGSL vs MLAS) and summation
 * orders in float32. Measured on SwiftShader: forward outputs ≤ 4e-5 relative (1e-4 absolute: the UNet at a
 * random latent), gradients ≤ 2e-6 of their own scale here (1.1e-4 through two DDIM steps); the bounds leave at
 * least a 10× margin. Timeouts are long because SwiftShader shares the CPU with everything else.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { brightnessReward } from "@/server/dno/rewards/image-statistics";
import { imageBatch } from "@/server/dno/rewards/reward";
import { DiffusionChain } from "@/server/executor/chain";
import { OnnxImageClassifier } from "@/server/executor/classifier";
import { type DiffusionModel, loadModelFolder } from "@/server/models/folder";
import { encodePrompts } from "@/server/models/sampler";
import { formatDevice } from "./providers";
import { createOnnxRuntime } from "./runtime";
import { selectSwiftShader } from "./testing/swiftshader";
import type { OnnxRuntime } from "./types";
import { gradientDifference, relativeDifference, seededNormal } from "./testing/compare";

const MODEL_DIR = path.join(import.meta.dirname, "../../models/tiny-shapes-sd");
const FORWARD_TOLERANCE = 1e-3;
const GRADIENT_TOLERANCE = 1e-3;
/** About 45 s of CPU time on an idle machine; several times that when other work shares the cores. */
const SLOW = 300_000;

interface Side {
  onnx: OnnxRuntime;
  model: DiffusionModel;
}
let cpu: Side;
let gpu: Side;
const vjpCache = { dir: mkdtempSync(path.join(tmpdir(), "dno-webgpu-vjp-")) };

beforeAll(async () => {
  selectSwiftShader();
  const side = async (executionProvider: "cpu" | "webgpu"): Promise<Side> => {
    const onnx = await createOnnxRuntime({ executionProvider, intraOpThreads: 1 });
    return { onnx, model: await loadModelFolder(MODEL_DIR, { runtime: onnx }) };
  };
  cpu = await side("cpu");
  gpu = await side("webgpu");
}, SLOW);

const settings = { steps: 1, eta: 0, guidanceScale: 5 };

/** One DNO iteration on one provider: forward (prompt, UNet, VAE), brightness, backward (VAE, UNet VJPs). */
async function iteration(side: Side) {
  const conditioning = await encodePrompts(side.model, ["a red circle"]);
  const chain = new DiffusionChain(side.model, side.onnx, vjpCache);
  const xT = seededNormal(4, chain.latentSize);
  const forward = await chain.forward(conditioning, xT, null, settings);
  const images = imageBatch(forward.image.data, [1, 3, forward.image.height, forward.image.width]);
  const { gradient: imageGradient } = await brightnessReward.valueAndGradient!(images);
  const x0Gradient = await chain.decoderBackward(forward.latents.at(-1)!, 1, imageGradient);
  const grads = await chain.samplerBackward(conditioning, forward.latents, x0Gradient, settings, {
    stepNoiseGradients: false,
  });
  return { hidden: conditioning.hidden, x0: forward.latents.at(-1)!, images, x0Gradient, xT: grads.xT };
}

const iterations = new Map<Side, ReturnType<typeof iteration>>();
/** Each side's iteration runs once, whichever test asks first (so each test can also run alone). */
const iterationOn = (side: Side) => {
  if (!iterations.has(side)) iterations.set(side, iteration(side));
  return iterations.get(side)!;
};

describe("WebGPU provider on SwiftShader", () => {
  it("runs on webgpu with the adapter described, and auto does not pick a software adapter", async () => {
    expect(gpu.onnx.executionProvider).toBe("webgpu");
    expect(gpu.onnx.device.adapter).toMatchObject({
      name: "SwiftShader Device",
      backend: "vulkan",
      software: true,
    });
    expect(formatDevice(gpu.onnx.device)).toMatch(
      /^webgpu · SwiftShader Device \(Google; vulkan; driver SwiftShader/,
    );
    const auto = await createOnnxRuntime({ executionProvider: "auto", intraOpThreads: 1 });
    expect(auto.executionProvider).toBe("cpu");
    expect(auto.device.note).toMatch(/only WebGPU adapter is SwiftShader Device/);
  });

  it(
    "text encoder, UNet (one guided DDIM step) and VAE decoder match the CPU provider",
    async () => {
      const expected = await iterationOn(cpu);
      const actual = await iterationOn(gpu);
      expect(relativeDifference(expected.hidden, actual.hidden)).toBeLessThan(FORWARD_TOLERANCE);
      expect(relativeDifference(expected.x0, actual.x0)).toBeLessThan(FORWARD_TOLERANCE);
      expect(relativeDifference(expected.images.data, actual.images.data)).toBeLessThan(FORWARD_TOLERANCE);
    },
    SLOW,
  );

  it(
    "one DNO iteration's gradient (VAE-decoder VJP, then UNet VJP) matches the CPU provider",
    async () => {
      const expected = await iterationOn(cpu);
      const actual = await iterationOn(gpu);
      expect(gradientDifference(expected.x0Gradient, actual.x0Gradient)).toBeLessThan(GRADIENT_TOLERANCE);
      expect(gradientDifference(expected.xT, actual.xT)).toBeLessThan(GRADIENT_TOLERANCE);
    },
    SLOW,
  );

  it(
    "the classifier and its VJP match the CPU provider",
    async () => {
      const { images } = await iterationOn(cpu);
      const classifier = async (side: Side) =>
        OnnxImageClassifier.load(MODEL_DIR, side.onnx, { vjpCache, needer: "test" });
      const [cpuClassifier, gpuClassifier] = [await classifier(cpu), await classifier(gpu)];
      const cpuHeads = await cpuClassifier.forward(images);
      const gpuHeads = await gpuClassifier.forward(images);
      for (const [role, head] of Object.entries(cpuHeads)) {
        expect(relativeDifference(head.logits, gpuHeads[role]!.logits)).toBeLessThan(FORWARD_TOLERANCE);
      }
      const cotangents = Object.fromEntries(
        Object.entries(cpuHeads).map(([role, head], i) => [role, seededNormal(10 + i, head.logits.length)]),
      );
      const cpuGradient = await cpuClassifier.vjp(images, cotangents);
      const gpuGradient = await gpuClassifier.vjp(images, cotangents);
      expect(gradientDifference(cpuGradient, gpuGradient)).toBeLessThan(GRADIENT_TOLERANCE);
    },
    SLOW,
  );
});
