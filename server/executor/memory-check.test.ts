/**
 * The pre-run memory estimate and refusal: the arithmetic on known values, the activations read from a graph,
 * a run refused under a tiny DNO_MEMORY_BUDGET_MB before any backward model is built (nothing written, no
 * iteration), and the bundled model's runs fitting the default budget with room to spare.
 */
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { decodeModel } from "@/server/autodiff/proto";
import { segmentModel } from "@/server/autodiff/segments";
import { loadModelFolder } from "@/server/models/folder";
import { copyTinySdArch } from "@/server/models/testing/sd-arch-copy";
import { memoryBudgetBytes } from "@/server/onnx/memory-budget";
import {
  estimateRunMemory,
  FLOAT16_CAST_WEIGHTS_SHARE,
  FLOAT16_ON_CPU_BYTES,
  forwardIntermediateBytes,
  RUNTIME_BYTES,
  RUNTIME_PER_UNET_BYTE,
  VAE_VJP_ACTIVATION_FACTOR,
  VJP_ACTIVATION_FACTOR,
  weightFilesOf,
} from "@/server/onnx/memory-estimate";
import { createOnnxRuntime } from "@/server/onnx/runtime";
import { addOneModel } from "@/server/onnx/tiny-onnx";
import { createExecutorEnvironment, type ExecutorEnvironment } from "./environment";
import { ExecutorError } from "./errors";
import { decoderCallBytes, estimateDnoRunMemory, refusalMessage, runBudget } from "./memory-check";
import { planRun } from "./plan";
import { runDno } from "./run-dno";
import { writeTinyDnoModelFolder } from "./testing/tiny-dno-model";
import { dnoWorkflow, PAPER_ADAM, type WorkflowSpec } from "./testing/workflows";
import { PER_ROW_VJP_MIN_BYTES } from "./vjp-rows";

const MiB = 1024 ** 2;

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("the arithmetic", () => {
  it("counts shared bytes once, private copies per session, the larger backward call and stored steps", () => {
    const estimate = estimateRunMemory({
      weights: [
        { key: "unet-graph", bytes: 2 * MiB, copies: 1 },
        { key: "unet-weights", bytes: 100 * MiB, copies: 1 },
        // The VJP cache's hard link of the same weights: the same key, counted once.
        { key: "unet-weights", bytes: 100 * MiB, copies: 1 },
        { key: "vae", bytes: 10 * MiB, copies: 2 },
      ],
      unetCallBytes: 300 * MiB,
      vaeCallBytes: 50 * MiB,
      storedBytesPerStep: 4 * MiB,
      steps: 10,
      runtimeBytes: 100 * MiB,
    });
    expect(estimate).toEqual({
      weightsBytes: 122 * MiB,
      activationBytes: 300 * MiB,
      unetCallBytes: 300 * MiB,
      vaeCallBytes: 50 * MiB,
      storedBytes: 40 * MiB,
      runtimeBytes: 100 * MiB,
      totalBytes: 562 * MiB,
    });
    expect(estimateRunMemory({ weights: [], unetCallBytes: 0, vaeCallBytes: 0 }).totalBytes).toBe(
      RUNTIME_BYTES,
    );
  });

  it("reads a graph's intermediates for given input sizes, and a model's files", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "dno-estimate-"));
    const file = path.join(dir, "add-one.onnx");
    const graph = addOneModel(["batch", 4]);
    writeFileSync(file, graph);
    // One float32 output of batch × 4.
    expect(forwardIntermediateBytes(graph, { x: [3, 4] })).toEqual({ bytes: 3 * 4 * 4, unknown: 0 });
    const files = weightFilesOf(file, 2, () => ({ size: graph.length, dev: 1, ino: 7 }));
    expect(files).toEqual([{ key: "1:7", bytes: graph.length, copies: 2 }]);
  });

  it("says what the run needs, the budget and what to do", () => {
    const message = refusalMessage({
      modelName: "sd15",
      estimate: {
        totalBytes: 20 * 1024 ** 3,
        weightsBytes: 4 * 1024 ** 3,
        activationBytes: 15 * 1024 ** 3,
        unetCallBytes: 15 * 1024 ** 3,
        vaeCallBytes: 5 * 1024 ** 3,
        storedBytes: 0,
        runtimeBytes: 1024 ** 3,
      },
      budget: { bytes: 16 * 1024 ** 3, setting: "DNO_MEMORY_BUDGET_MB", where: "memory" },
      batch: 2,
      latent: { height: 64, width: 64 },
    });
    expect(message).toBe(
      "This run needs about 20 GB of memory with model “sd15” (4.0 GB of weights, 15 GB for one backward call " +
        "at 2 images of 512×512 px), more than the budget of 16 GB (DNO_MEMORY_BUDGET_MB). Use fewer images per " +
        "run or a smaller Image size on the Sampler, raise DNO_MEMORY_BUDGET_MB if the machine has the memory, or " +
        "run it on a host with a GPU.",
    );
  });
});

describe("the budget", () => {
  it("is ORT_DEVICE_MEMORY_MB on a GPU provider when set, else DNO_MEMORY_BUDGET_MB", () => {
    vi.stubEnv("ORT_DEVICE_MEMORY_MB", "100");
    expect(runBudget("webgpu", 5 * MiB)).toEqual({
      bytes: 100 * MiB,
      setting: "ORT_DEVICE_MEMORY_MB",
      where: "webgpu device memory",
    });
    expect(runBudget("cpu", 5 * MiB)).toEqual({
      bytes: 5 * MiB,
      setting: "DNO_MEMORY_BUDGET_MB",
      where: "memory",
    });
    vi.stubEnv("ORT_DEVICE_MEMORY_MB", "0");
    expect(runBudget("cuda", 5 * MiB).setting).toBe("DNO_MEMORY_BUDGET_MB");
  });
});

describe("a run on a tiny model folder", () => {
  let modelDir: string;
  let vjpDir: string;
  let env: ExecutorEnvironment;
  const spec = (): WorkflowSpec => ({
    model: `user:${path.basename(modelDir)}`,
    prompt: "a red circle on blue background",
    noise: { seed: 11 },
    sampler: { steps: 4, eta: 1, guidanceScale: 3 },
    rewards: [{ params: { kind: "brightness" } }],
    optimizer: { ...PAPER_ADAM, iterations: 2, learningRate: 0.05 },
  });

  beforeAll(async () => {
    modelDir = writeTinyDnoModelFolder();
    vjpDir = mkdtempSync(path.join(tmpdir(), "dno-vjp-"));
    const onnx = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });
    env = await createExecutorEnvironment({
      onnx,
      vjpCacheDir: vjpDir,
      directories: { bundledDir: path.resolve("models"), userDir: modelDir },
      memoryMode: "recompute",
    });
  });

  it("is refused under a 1 MB DNO_MEMORY_BUDGET_MB before any backward model is built", async () => {
    vi.stubEnv("DNO_MEMORY_BUDGET_MB", "1");
    const iterations: number[] = [];
    const attempt = runDno({
      plan: planRun(dnoWorkflow(spec())),
      env,
      onIteration: ({ record }) => {
        iterations.push(record.iteration);
      },
    });
    await expect(attempt).rejects.toBeInstanceOf(ExecutorError);
    await expect(attempt).rejects.toMatchObject({ code: "PLAN_REFUSED" });
    await expect(attempt).rejects.toThrow(
      /^This run needs about \d+ MB of memory with model “.+” \(.*\), more than the budget of 1 MB \(DNO_MEMORY_BUDGET_MB\)\. Use fewer images per run or a smaller Image size on the Sampler, raise DNO_MEMORY_BUDGET_MB/,
    );
    expect(iterations).toEqual([]);
    // Nothing was built or written for the refused run.
    expect(existsSync(vjpDir) ? readdirSync(vjpDir) : []).toEqual([]);
  }, 120_000);

  it("runs under the default budget", async () => {
    const result = await runDno({ plan: planRun(dnoWorkflow(spec())), env });
    expect(result.history).toHaveLength(2);
  }, 300_000);
});

const bundled = "tiny-shapes-sd";
describe.skipIf(!existsSync(path.resolve("models", bundled, "unet/model.onnx")))("the bundled model", () => {
  it("fits the default budget with room to spare at the largest batch", async () => {
    const onnx = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });
    const env = await createExecutorEnvironment({ onnx });
    const model = await env.diffusion.loadModel(bundled);
    const estimate = estimateDnoRunMemory({ model, batch: 8, steps: 50 }, "cpu");
    expect(estimate.activationBytes).toBeGreaterThan(0);
    expect(estimate.weightsBytes).toBeGreaterThan(0);
    expect(estimate.totalBytes).toBeLessThan(2 * 1024 ** 3);
    expect(estimate.totalBytes).toBeLessThan(memoryBudgetBytes());
  }, 120_000);
});

describe("one backward call's size on the tiny SD-1.5 export", () => {
  it("one UNet row per call once the UNet's weights reach 512 MiB; the decoder's own factor", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "dno-estimate-rows-"));
    copyTinySdArch("sd15", dir);
    const onnx = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });
    const model = await loadModelFolder(dir, { runtime: onnx });
    const small = estimateDnoRunMemory({ model, batch: 1, steps: 2 }, "cpu");
    const unetGraph = new Uint8Array(readFileSync(model.unet.path));
    const { height, width } = model.latent;
    const unetDims = (rows: number) => ({
      sample: [rows, 4, height, width],
      timestep: [rows],
      encoder_hidden_states: [rows, model.tokens, model.hiddenWidth],
    });
    // A small UNet: both CFG rows in one call.
    expect(small.unetCallBytes).toBe(
      Math.ceil(forwardIntermediateBytes(unetGraph, unetDims(2)).bytes * VJP_ACTIVATION_FACTOR),
    );
    const vaeGraph = new Uint8Array(readFileSync(model.vaeDecoder.path));
    expect(small.vaeCallBytes).toBe(
      Math.ceil(
        forwardIntermediateBytes(vaeGraph, { [model.io.vaeInput]: [1, 4, height, width] }).bytes *
          VAE_VJP_ACTIVATION_FACTOR,
      ),
    );
    // 512 MiB of data beside the UNet (a sparse file) make it a large UNet: one row per VJP call.
    const extra = path.join(path.dirname(model.unet.path), "extra.bin");
    writeFileSync(extra, "");
    truncateSync(extra, PER_ROW_VJP_MIN_BYTES);
    const large = estimateDnoRunMemory({ model, batch: 1, steps: 2 }, "cpu");
    expect(large.unetCallBytes).toBe(
      Math.ceil(forwardIntermediateBytes(unetGraph, unetDims(1)).bytes * VJP_ACTIVATION_FACTOR),
    );
    expect(large.unetCallBytes / small.unetCallBytes).toBeCloseTo(0.5, 1);
    // Above the segment bound the decoder's backward runs in segments: the largest one's call and the cuts.
    const dims = [1, 4, height, width];
    const whole = decoderCallBytes(model, dims, 4);
    expect(whole).toBe(small.vaeCallBytes);
    const plan = segmentModel(decodeModel(vaeGraph), {
      input: model.io.vaeInput,
      output: model.io.vaeOutput,
      inputDims: dims,
      maxBytes: whole / 4,
    });
    expect(plan.segments.length).toBeGreaterThan(2);
    const segmented = decoderCallBytes(model, dims, 4, whole / 4);
    expect(segmented).toBe(Math.ceil(Math.max(...plan.bytes) * VAE_VJP_ACTIVATION_FACTOR + plan.cutBytes));
    expect(segmented).toBeLessThan(whole / 2);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);
});

describe("a float16 export's estimate", () => {
  it("on the CPU counts its intermediates and the UNet's weights per call at float32 size; on a GPU at float16", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "dno-estimate-fp16-"));
    copyTinySdArch("sd15", path.join(dir, "fp32"));
    copyTinySdArch("sd15-fp16", path.join(dir, "fp16"));
    const onnx = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });
    const fp32 = await loadModelFolder(path.join(dir, "fp32"), { runtime: onnx });
    const fp16 = await loadModelFolder(path.join(dir, "fp16"), { runtime: onnx });
    expect(fp16.unet.inputs.some((input) => input.castFrom === "float16")).toBe(true);
    const facts = (model: typeof fp32) => ({ model, batch: 1, steps: 2 });
    const single = estimateDnoRunMemory(facts(fp32), "cpu");
    const halfOnCpu = estimateDnoRunMemory(facts(fp16), "cpu");
    const halfOnGpu = estimateDnoRunMemory(facts(fp16), "webgpu");
    // Same architecture and sizes: on the CPU the float16 export's calls are as large as the float32 one's
    // (a few Casts at its boundaries aside), on a GPU about half.
    expect(halfOnCpu.unetCallBytes / single.unetCallBytes).toBeGreaterThan(0.97);
    expect(halfOnCpu.unetCallBytes / single.unetCallBytes).toBeLessThan(1.1);
    expect(halfOnCpu.vaeCallBytes / single.vaeCallBytes).toBeGreaterThan(0.97);
    expect(halfOnCpu.vaeCallBytes / single.vaeCallBytes).toBeLessThan(1.1);
    expect(halfOnGpu.unetCallBytes / single.unetCallBytes).toBeLessThan(0.6);
    // The per-UNet-byte runtime term follows the float32 size of the weights on the CPU.
    const unetBytes = (model: typeof fp32) =>
      weightFilesOf(model.unet.path, 1, (file) => {
        const info = statSync(file);
        return { size: info.size, dev: info.dev, ino: info.ino };
      }).reduce((sum, file) => sum + file.bytes, 0);
    const float32Size = unetBytes(fp16) * (FLOAT16_ON_CPU_BYTES / 2);
    expect(halfOnCpu.runtimeBytes).toBe(
      Math.ceil(
        RUNTIME_BYTES + RUNTIME_PER_UNET_BYTE * float32Size + FLOAT16_CAST_WEIGHTS_SHARE * float32Size,
      ),
    );
    expect(halfOnGpu.runtimeBytes).toBe(Math.ceil(RUNTIME_BYTES + RUNTIME_PER_UNET_BYTE * unetBytes(fp16)));
    expect(halfOnCpu.totalBytes).toBeGreaterThan(halfOnGpu.totalBytes);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);
});
