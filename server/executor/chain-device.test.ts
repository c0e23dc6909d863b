/**
 * Host↔device copies of the DNO chain on WebGPU (SwiftShader, server/onnx/testing/swiftshader.ts), counted
 * by the runtime at the session boundary, and the chain's results against the CPU provider's. The bundled
 * tiny-shapes-sd, batch 1, 2 DDIM steps with eta 1 and guidance (UNet calls of 2 rows): SwiftShader takes
 * seconds per call. What may cross per DDIM step, and no more (device-tensors.ts says why the rest must):
 *   forward:  in: the step's latent (both CFG rows) and the timestep; out: ε̂ for the JS DDIM update.
 *   backward: in: x_t, the cotangent and the timestep (recompute mode) / the cotangent and the forward
 *             inputs the split backward declares (store mode); out: the gradient.
 * The text encoder's hidden states go to the device once per conditioning (not per call, forward and VJP
 * share them), and store mode's activations never come to the host. Tolerances as in webgpu.test.ts.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { brightnessReward } from "@/server/dno/rewards/image-statistics";
import { imageBatch } from "@/server/dno/rewards/reward";
import { type DiffusionModel, loadModelFolder } from "@/server/models/folder";
import { encodePrompts } from "@/server/models/sampler";
import { createOnnxRuntime } from "@/server/onnx/runtime";
import { selectSwiftShader } from "@/server/onnx/testing/swiftshader";
import type { OnnxRuntime, TransferStats } from "@/server/onnx/types";
import { type BackwardMemoryMode, DiffusionChain } from "./chain";
import { relativeDifference, seededNormal } from "@/server/onnx/testing/compare";

const MODEL_DIR = path.join(import.meta.dirname, "../../models/tiny-shapes-sd");
const TOLERANCE = 1e-3;
const SLOW = 600_000;
const settings = { steps: 2, eta: 1, guidanceScale: 5 };

interface Side {
  onnx: OnnxRuntime;
  model: DiffusionModel;
}
let cpu: Side;
let gpu: Side;
const vjpCache = { dir: mkdtempSync(path.join(tmpdir(), "dno-chain-device-vjp-")) };

beforeAll(async () => {
  selectSwiftShader();
  const side = async (executionProvider: "cpu" | "webgpu"): Promise<Side> => {
    const onnx = await createOnnxRuntime({ executionProvider, intraOpThreads: 1 });
    return { onnx, model: await loadModelFolder(MODEL_DIR, { runtime: onnx }) };
  };
  cpu = await side("cpu");
  gpu = await side("webgpu");
}, SLOW);

/**
 * Two DNO iterations' chain work (same conditioning, same chain): the second one's copies are counted, as a
 * run's iterations after the first.
 */
async function twoIterations(side: Side, memoryMode: BackwardMemoryMode) {
  const chain = new DiffusionChain(side.model, side.onnx, vjpCache, { memoryMode });
  await chain.prepareBackward();
  const conditioning = await encodePrompts(side.model, ["a red circle"]);
  const xT = seededNormal(4, chain.latentSize);
  const stepNoises = [seededNormal(5, chain.latentSize), seededNormal(6, chain.latentSize)];
  const once = async () => {
    side.onnx.resetStats();
    const forward = await chain.forward(conditioning, xT, stepNoises, settings, undefined, {
      keepActivations: true,
    });
    const forwardCopies = side.onnx.stats().transfers;
    const images = imageBatch(forward.image.data, [1, 3, forward.image.height, forward.image.width]);
    const { gradient } = await brightnessReward.valueAndGradient!(images);
    const x0Gradient = await chain.decoderBackward(forward.latents.at(-1)!, 1, gradient);
    side.onnx.resetStats();
    const grads = await chain.samplerBackward(conditioning, forward.latents, x0Gradient, settings, {
      stepNoiseGradients: true,
    });
    return { forward, forwardCopies, backwardCopies: side.onnx.stats().transfers, grads };
  };
  const first = await once();
  const second = await once();
  // Same inputs, same numbers: the device copies of the first iteration are reused, not stale.
  expect(second.forward.image.data).toEqual(first.forward.image.data);
  expect(second.grads.xT).toEqual(first.grads.xT);
  return { ...second, first: first.forwardCopies };
}

const latentBytes = (side: Side, rows: number) =>
  4 * rows * side.model.latent.channels * side.model.latent.height * side.model.latent.width;
/** A timestep feed is a few bytes (int64 or float, scalar or one per row): far below any latent. */
const SMALL = 64;

describe("DNO chain copies between host and WebGPU device (SwiftShader)", () => {
  it(
    "recompute mode: per DDIM step the latent and timestep in and ε̂ out; the hidden states once per conditioning",
    async () => {
      const expected = await twoIterations(cpu, "recompute");
      const actual = await twoIterations(gpu, "recompute");
      const steps = settings.steps;
      const hiddenBytes = 4 * 2 * gpu.model.tokens * gpu.model.hiddenWidth;
      // Forward: T UNet calls (latent + timestep in, ε̂ out) and the VAE decoder (x_0 in, image out).
      const imageBytes = 4 * actual.forward.image.data.length;
      expectCopies(actual.forwardCopies, {
        toDevice: 2 * steps + 1,
        toDeviceBytes: [steps * latentBytes(gpu, 2) + latentBytes(gpu, 1), SMALL * steps],
        toHost: steps + 1,
        toHostBytes: [steps * latentBytes(gpu, 2) + imageBytes, 0],
      });
      // The first iteration also uploaded the hidden states, once.
      expect(actual.first.toDevice).toBe(actual.forwardCopies.toDevice + 1);
      expect(actual.first.toDeviceBytes - actual.forwardCopies.toDeviceBytes).toBe(hiddenBytes);
      // Backward: T VJP calls (x_t, cotangent, timestep in; gradient out), the hidden states read in place.
      expectCopies(actual.backwardCopies, {
        toDevice: 3 * steps,
        toDeviceBytes: [2 * steps * latentBytes(gpu, 2), SMALL * steps],
        toHost: steps,
        toHostBytes: [steps * latentBytes(gpu, 2), 0],
      });
      expect(cpu.onnx.stats().transfers).toEqual({
        toDevice: 0,
        toDeviceBytes: 0,
        toHost: 0,
        toHostBytes: 0,
      });
      expectSameResults(expected, actual);
    },
    SLOW,
  );

  it(
    "store mode: the activations the backward reads stay on the device",
    async () => {
      const expected = await twoIterations(cpu, "store");
      const actual = await twoIterations(gpu, "store");
      const steps = settings.steps;
      const imageBytes = 4 * actual.forward.image.data.length;
      expectCopies(actual.forwardCopies, {
        toDevice: 2 * steps + 1,
        toDeviceBytes: [steps * latentBytes(gpu, 2) + latentBytes(gpu, 1), SMALL * steps],
        toHost: steps + 1,
        toHostBytes: [steps * latentBytes(gpu, 2) + imageBytes, 0],
      });
      // In: the cotangent and at most the forward's latent and timestep; out: the gradient. No activations.
      expect(actual.backwardCopies.toHost).toBe(steps);
      expect(actual.backwardCopies.toHostBytes).toBe(steps * latentBytes(gpu, 2));
      expect(actual.backwardCopies.toDevice).toBeLessThanOrEqual(3 * steps);
      expect(actual.backwardCopies.toDeviceBytes).toBeLessThanOrEqual(
        2 * steps * latentBytes(gpu, 2) + SMALL * steps,
      );
      expectSameResults(expected, actual);
    },
    SLOW,
  );
});

/** Counts exact; bytes as [exact part, allowance for timesteps]. */
function expectCopies(
  actual: TransferStats,
  expected: {
    toDevice: number;
    toDeviceBytes: [number, number];
    toHost: number;
    toHostBytes: [number, number];
  },
): void {
  expect(actual.toDevice).toBe(expected.toDevice);
  expect(actual.toHost).toBe(expected.toHost);
  expect(actual.toDeviceBytes).toBeGreaterThanOrEqual(expected.toDeviceBytes[0]);
  expect(actual.toDeviceBytes).toBeLessThanOrEqual(expected.toDeviceBytes[0] + expected.toDeviceBytes[1]);
  expect(actual.toHostBytes).toBeGreaterThanOrEqual(expected.toHostBytes[0]);
  expect(actual.toHostBytes).toBeLessThanOrEqual(expected.toHostBytes[0] + expected.toHostBytes[1]);
}

function expectSameResults(
  expected: Awaited<ReturnType<typeof twoIterations>>,
  actual: Awaited<ReturnType<typeof twoIterations>>,
): void {
  expect(relativeDifference(expected.forward.latents.at(-1)!, actual.forward.latents.at(-1)!)).toBeLessThan(
    TOLERANCE,
  );
  expect(relativeDifference(expected.forward.image.data, actual.forward.image.data)).toBeLessThan(TOLERANCE);
  const gradients = (result: typeof expected) =>
    Float32Array.from([...result.grads.xT, ...(result.grads.stepNoises ?? []).flatMap((z) => [...z])]);
  const cpuGradient = gradients(expected);
  const scale = Math.max(...Array.from(cpuGradient, Math.abs));
  expect(scale).toBeGreaterThan(1e-8);
  expect(relativeDifference(cpuGradient, gradients(actual), scale)).toBeLessThan(TOLERANCE);
}
