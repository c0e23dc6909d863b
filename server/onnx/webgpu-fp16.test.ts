/**
 * float16 models on the WebGPU provider, on SwiftShader (set-up as in webgpu.test.ts: testing/swiftshader.ts;
 * CI installs chromium's SwiftShader and libvulkan1). The model is the committed tiny float16 SD-1.5 export
 * (models/sd_arch/tiny/sd15-fp16, 8×8 latents): text encoder, one guided DDIM step, VAE decoder, then one DNO
 * iteration's gradient (VAE-decoder VJP, UNet VJP), and two iterations through the executor with the
 * optimizer. Each result is compared with the CPU provider running the same float16 folder, and the gradient
 * with the float32 export's.
 *
 * SwiftShader has no float16 shaders (Dawn's shader-f16), so there the float16 models load as float32 twins
 * (float16-upcast.ts): float16 weights, float32 arithmetic on the device. On an adapter with shader-f16 the
 * same tests run the float16 graphs natively (the first test says which happened).
 *
 * Tolerances, relative to the CPU result's largest magnitude. Measured on SwiftShader (twins) against the CPU
 * float16 run: text encoder 2.6e-4, x_0 1.7e-5, image 5.0e-4, ∂/∂x_0 3.2e-4, ∂/∂x_T 3.1e-4; through the
 * executor, gradient norms 5e-5 and 3e-5, the image after one update 6.0e-4 — the CPU's own
 * float16 rounding, which the twin does not have (the CPU float16 vs float32 exports differ by 4e-4 to 1e-3).
 * Held to 5e-3 (native float16 on a GPU rounds differently again); gradient cosine to float32 ≥ 0.999 as
 * asked (measured 0.9999996). SwiftShader is slow: about 4 min of CPU time (7–11 min on the shared 2-core
 * machine), mostly session creation, shader compiling and the two executor iterations.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getVjpModelForFile } from "@/server/autodiff/cache";
import { brightnessReward } from "@/server/dno/rewards/image-statistics";
import { imageBatch } from "@/server/dno/rewards/reward";
import { DiffusionChain } from "@/server/executor/chain";
import { createExecutorEnvironment, type ExecutorEnvironment } from "@/server/executor/environment";
import { planRun } from "@/server/executor/plan";
import { type IterationRecord, runDno } from "@/server/executor/run-dno";
import { dnoWorkflow } from "@/server/executor/testing/workflows";
import { type DiffusionModel, loadModelFolder } from "@/server/models/folder";
import { encodePrompts } from "@/server/models/sampler";
import { copyTinySdArch } from "@/server/models/testing/sd-arch-copy";
import { fromHalfBits, toHalfBits } from "./float16";
import { webGpuSessionFile } from "./float16-upcast";
import { nodePlacement } from "./node-placement";
import { createOnnxRuntime, webGpuRunsFloat16 } from "./runtime";
import { selectSwiftShader } from "./testing/swiftshader";
import type { OnnxRuntime } from "./types";
import { gradientDifference, relativeDifference, seededNormal } from "./testing/compare";

const FORWARD_TOLERANCE = 5e-3;
const GRADIENT_TOLERANCE = 5e-3;
const MIN_COSINE_TO_FLOAT32 = 0.999;
/** Several minutes of SwiftShader on a shared 2-core machine. */
const SLOW = 900_000;

const scratch = mkdtempSync(path.join(tmpdir(), "dno-webgpu-fp16-"));
const modelsDir = path.join(scratch, "models");
const previousTwinDir = process.env.ORT_FLOAT32_TWIN_DIR;

interface Side {
  readonly onnx: OnnxRuntime;
  readonly env: ExecutorEnvironment;
  readonly model: DiffusionModel;
  readonly vjpCache: { dir: string };
}
let gpu: Side;
let cpu: Side;
let cpu32: Side;

async function side(executionProvider: "cpu" | "webgpu", arch: string): Promise<Side> {
  const onnx = await createOnnxRuntime({ executionProvider, intraOpThreads: 1 });
  const vjpCacheDir = path.join(scratch, `vjp-${executionProvider}-${arch}`);
  const env = await createExecutorEnvironment({
    onnx,
    directories: { bundledDir: path.join(scratch, "bundled"), userDir: modelsDir },
    vjpCacheDir,
    // The VJP sessions the other tests create, not store mode's split models (more sessions to compile).
    memoryMode: "recompute",
  });
  const model = await loadModelFolder(path.join(modelsDir, arch), { runtime: onnx });
  return { onnx, env, model, vjpCache: { dir: vjpCacheDir } };
}

beforeAll(async () => {
  selectSwiftShader();
  process.env.ORT_FLOAT32_TWIN_DIR = path.join(scratch, "twins");
  mkdirSync(path.join(scratch, "bundled"), { recursive: true });
  for (const arch of ["sd15-fp16", "sd15"]) copyTinySdArch(arch, path.join(modelsDir, arch));
  gpu = await side("webgpu", "sd15-fp16");
  cpu = await side("cpu", "sd15-fp16");
  cpu32 = await side("cpu", "sd15");
}, SLOW);

afterAll(() => {
  if (previousTwinDir === undefined) delete process.env.ORT_FLOAT32_TWIN_DIR;
  else process.env.ORT_FLOAT32_TWIN_DIR = previousTwinDir;
  rmSync(scratch, { recursive: true, force: true });
});

function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}

const settings = { steps: 1, eta: 0, guidanceScale: 5 };

/** One DNO iteration's forward and gradient on one side (brightness; VAE-decoder VJP, then UNet VJP). */
async function iteration(on: Side) {
  const conditioning = await encodePrompts(on.model, ["a red circle"]);
  const chain = new DiffusionChain(on.model, on.onnx, on.vjpCache);
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
const iterationOn = (on: Side) => {
  if (!iterations.has(on)) iterations.set(on, iteration(on));
  return iterations.get(on)!;
};

/** Ops the WebGPU provider has no kernel for that are only shape arithmetic (int64) in these graphs. */
const shapeOps = new Set([
  "Add",
  "Concat",
  "Div",
  "Equal",
  "Gather",
  "Mul",
  "Reshape",
  "Slice",
  "Unsqueeze",
  "Where",
]);

describe("float16 models on WebGPU (SwiftShader)", () => {
  it("load on webgpu: natively where the adapter has float16 shaders, else as float32 twins", async () => {
    const native = await webGpuRunsFloat16();
    // SwiftShader grants no shader-f16; a test host with a real GPU adapter would report true.
    if (gpu.onnx.device.adapter?.name === "SwiftShader Device") expect(native).toBe(false);
    for (const part of [cpu.model.textEncoder, cpu.model.unet, cpu.model.vaeDecoder]) {
      expect(part.outputs.some((output) => output.castFrom === "float16")).toBe(true);
    }
    for (const part of [gpu.model.textEncoder, gpu.model.unet, gpu.model.vaeDecoder]) {
      // Native: float16 at the session boundary, cast by the runtime; twin: float32 throughout.
      expect(part.outputs.every((output) => output.type === "float32")).toBe(true);
      expect(part.outputs.some((output) => output.castFrom === "float16")).toBe(native);
    }
  });

  it(
    "the UNet and its VJP leave only int64 shape arithmetic on the CPU, with no copies inside a call",
    async () => {
      const runsFloat16 = await webGpuRunsFloat16();
      const unet = gpu.model.unet.path;
      const vjp = await getVjpModelForFile(
        unet,
        { wrt: ["sample"], of: gpu.model.io.unetOutput },
        gpu.vjpCache,
      );
      for (const file of [unet, vjp.file]) {
        const placement = await nodePlacement(await webGpuSessionFile(file, runsFloat16), "webgpu");
        expect(placement.counts.WebGpuExecutionProvider).toBeGreaterThan(1000);
        expect(placement.copies).toEqual({ toDevice: 0, toHost: 0 });
        const unexpected = placement.noKernel.filter((node) => !shapeOps.has(node.op));
        expect(unexpected).toEqual([]);
      }
    },
    SLOW,
  );

  it(
    "text encoder, UNet (one guided DDIM step) and VAE decoder match the CPU provider's float16 run",
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
    "one DNO iteration's gradient matches CPU float16, has cosine ≥ 0.999 to float32, and arrives in float32",
    async () => {
      const [half, actual, full] = [await iterationOn(cpu), await iterationOn(gpu), await iterationOn(cpu32)];
      expect(gradientDifference(half.x0Gradient, actual.x0Gradient)).toBeLessThan(GRADIENT_TOLERANCE);
      expect(gradientDifference(half.xT, actual.xT)).toBeLessThan(GRADIENT_TOLERANCE);
      expect(cosine(full.xT, actual.xT)).toBeGreaterThan(MIN_COSINE_TO_FLOAT32);
      expect(cosine(full.x0Gradient, actual.x0Gradient)).toBeGreaterThan(MIN_COSINE_TO_FLOAT32);
      // float32 arrays whose values float16 cannot hold: nothing on the way rounded them to half precision.
      for (const gradient of [actual.xT, actual.x0Gradient]) {
        expect(gradient).toBeInstanceOf(Float32Array);
        const notHalf = gradient.filter((value) => fromHalfBits(toHalfBits(value)) !== value).length;
        expect(notHalf).toBeGreaterThan(gradient.length / 2);
      }
    },
    SLOW,
  );

  it(
    "two DNO iterations through the executor (optimizer update in float32) match the CPU provider's float16 run",
    async () => {
      const twoIterations = async (on: Side) => {
        const records: IterationRecord[] = [];
        const result = await runDno({
          plan: planRun(
            dnoWorkflow({
              model: "user:sd15-fp16",
              prompt: "a red circle",
              noise: { seed: 7 },
              sampler: settings,
              rewards: [{ params: { kind: "brightness" } }],
              optimizer: { iterations: 2, learningRate: 0.05 },
            }),
          ),
          env: on.env,
          onIteration: ({ record }) => {
            records.push(record);
          },
        });
        return { records, image: result.finalImage.data };
      };
      const expected = await twoIterations(cpu);
      const actual = await twoIterations(gpu);
      expect(actual.records).toHaveLength(2);
      for (const [i, record] of actual.records.entries()) {
        const other = expected.records[i]!;
        expect(record.gradNorm).toBeGreaterThan(0);
        expect(Math.abs(record.gradNorm - other.gradNorm) / other.gradNorm).toBeLessThan(GRADIENT_TOLERANCE);
      }
      // The second image is drawn from the noise the optimizer updated with the first gradient.
      expect(relativeDifference(expected.image, actual.image)).toBeLessThan(FORWARD_TOLERANCE);
    },
    SLOW,
  );
});
