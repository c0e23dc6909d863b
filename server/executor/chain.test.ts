import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { brightnessReward } from "@/server/dno/rewards/image-statistics";
import { imageBatch } from "@/server/dno/rewards/reward";
import { type DiffusionModel, loadModelFolder } from "@/server/models/folder";
import { createRng } from "@/server/models/rng";
import { type Conditioning, encodePrompts, latentSize } from "@/server/models/sampler";
import { createOnnxRuntime } from "@/server/onnx/runtime";
import { DiffusionChain, type SamplerSettings } from "./chain";
import { writeTinyDnoModelFolder } from "./testing/tiny-dno-model";

let model: DiffusionModel;
let chain: DiffusionChain;
let conditioning: Conditioning;

beforeAll(async () => {
  const onnx = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });
  model = await loadModelFolder(writeTinyDnoModelFolder(), { runtime: onnx });
  chain = new DiffusionChain(model, onnx, { dir: mkdtempSync(path.join(tmpdir(), "dno-vjp-")) });
  conditioning = await encodePrompts(model, ["a red circle", "a blue square"]);
});

/** brightness(image(x_T, z)) summed over the batch, and its gradient through the chain. */
async function brightnessAt(
  xT: Float32Array,
  steps: Float32Array[],
  settings: SamplerSettings,
): Promise<{ value: number; forward: Awaited<ReturnType<DiffusionChain["forward"]>> }> {
  const forward = await chain.forward(conditioning, xT, steps, settings);
  const images = imageBatch(forward.image.data, [2, 3, forward.image.height, forward.image.width]);
  const scores = brightnessReward.evaluate(images) as Float64Array;
  return { value: scores[0]! + scores[1]!, forward };
}

function randomTensor(seed: number, length: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length }, () => rng.normal());
}

describe("DiffusionChain reverse pass (tiny nonlinear UNet)", () => {
  it.each([
    { steps: 4, eta: 1, guidanceScale: 3 },
    { steps: 4, eta: 1, guidanceScale: 3, finalStepNoise: true },
    { steps: 5, eta: 0, guidanceScale: 5 },
  ])("matches central finite differences along random directions (%o)", async (settings) => {
    const n = 2 * latentSize(model);
    const xT = randomTensor(1, n);
    const stepNoises = Array.from({ length: settings.steps }, (_, i) => randomTensor(100 + i, n));
    const { forward } = await brightnessAt(xT, stepNoises, settings);
    const images = imageBatch(forward.image.data, [2, 3, forward.image.height, forward.image.width]);
    const { gradient: imageCotangent } = await brightnessReward.valueAndGradient!(images);
    const x0 = forward.latents[forward.latents.length - 1]!;
    const x0Gradient = await chain.decoderBackward(x0, 2, imageCotangent);
    const gradient = await chain.samplerBackward(conditioning, forward.latents, x0Gradient, settings, {
      stepNoiseGradients: settings.eta > 0,
    });
    for (const seed of [7, 8, 9]) {
      const dx = randomTensor(seed, n);
      const dz = stepNoises.map((_, i) => randomTensor(seed * 1000 + i, n));
      let analytic = 0;
      for (let i = 0; i < n; i++) analytic += gradient.xT[i]! * dx[i]!;
      if (settings.eta > 0) {
        dz.forEach((d, s) => {
          for (let i = 0; i < n; i++) analytic += gradient.stepNoises![s]![i]! * d[i]!;
        });
      }
      const h = 1e-2;
      const shifted = async (sign: number) => {
        const x = xT.map((v, i) => v + sign * h * dx[i]!);
        const z = stepNoises.map((noise, s) => noise.map((v, i) => v + sign * h * dz[s]![i]!));
        return (await brightnessAt(x, z, settings)).value;
      };
      const numeric = ((await shifted(1)) - (await shifted(-1))) / (2 * h);
      expect(Math.abs(analytic - numeric)).toBeLessThan(2e-3 * Math.max(1, Math.abs(numeric)));
      expect(Math.abs(numeric)).toBeGreaterThan(1e-4);
    }
  });

  it("with noise on the last step, that step's noise enters x_0 directly: ∂x_0/∂z_1 = σ_last", async () => {
    const n = 2 * latentSize(model);
    const settings = { steps: 3, eta: 1, guidanceScale: 2, finalStepNoise: true };
    const xT = randomTensor(3, n);
    const steps = Array.from({ length: 3 }, (_, i) => randomTensor(30 + i, n));
    const { forward } = await brightnessAt(xT, steps, settings);
    const x0Gradient = new Float32Array(n).fill(1);
    const result = await chain.samplerBackward(conditioning, forward.latents, x0Gradient, settings, {
      stepNoiseGradients: true,
    });
    const lastSigma = chain.plan(settings)[2]!.sigma;
    expect(lastSigma).toBeGreaterThan(0);
    expect(result.stepNoises![2]![0]).toBeCloseTo(lastSigma, 6);
  });

  it("by default the last step is noise-free: z_1 changes nothing and its gradient is exactly zero", async () => {
    const n = 2 * latentSize(model);
    const settings = { steps: 3, eta: 1, guidanceScale: 2 };
    const xT = randomTensor(3, n);
    const steps = Array.from({ length: 3 }, (_, i) => randomTensor(30 + i, n));
    const { forward } = await brightnessAt(xT, steps, settings);
    // Another z_1 gives the very same image.
    const otherLast = [...steps.slice(0, 2), randomTensor(99, n)];
    const { forward: other } = await brightnessAt(xT, otherLast, settings);
    expect(Buffer.from(other.image.data.buffer).equals(Buffer.from(forward.image.data.buffer))).toBe(true);
    const x0Gradient = new Float32Array(n).fill(1);
    const result = await chain.samplerBackward(conditioning, forward.latents, x0Gradient, settings, {
      stepNoiseGradients: true,
    });
    expect(result.stepNoises![2]!.every((value) => value === 0)).toBe(true);
    // The earlier steps' noise still matters.
    expect(result.stepNoises![1]!.some((value) => value !== 0)).toBe(true);
  });
});
