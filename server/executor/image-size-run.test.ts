/**
 * A DNO run at a chosen Image size through the executor: the tiny SD-1.5 export (a user's folder, 64 px by
 * default) optimized at 128 px — noise, UNet and VAE calls, their VJPs (whole, and split in store mode), the
 * pictures and the memory estimate all at 16×16 latents — and the bundled fixed-size model refusing 128 px as
 * a validation error on the Sampler's Image size, before anything is built.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyTinySdArch } from "@/server/models/testing/sd-arch-copy";
import { createOnnxRuntime } from "@/server/onnx/runtime";
import { createExecutorEnvironment, type ExecutorEnvironment } from "./environment";
import { ExecutorError } from "./errors";
import { estimateDnoRunMemory } from "./memory-check";
import { planRun } from "./plan";
import { runDno } from "./run-dno";
import { dnoWorkflow, PAPER_ADAM } from "./testing/workflows";

let scratch: string;
let env: ExecutorEnvironment;
/** The same runtime and VJP cache, keeping the forward's activations for the backward (split models). */
let storeEnv: ExecutorEnvironment;
let recomputed: Awaited<ReturnType<typeof runDno>> | undefined;

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), "dno-image-size-run-"));
  copyTinySdArch("sd15", path.join(scratch, "models/sd15"));
  const onnx = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });
  const options = {
    onnx,
    vjpCacheDir: path.join(scratch, "vjp"),
    directories: { bundledDir: path.resolve("models"), userDir: path.join(scratch, "models") },
  };
  env = await createExecutorEnvironment({ ...options, memoryMode: "recompute" });
  storeEnv = await createExecutorEnvironment({ ...options, memoryMode: "store" });
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const workflow = (model: string, imageSize: number) =>
  dnoWorkflow({
    model,
    prompt: "a red circle",
    noise: { seed: 3, optimize: "initial-and-steps" },
    sampler: { steps: 2, eta: 1, guidanceScale: 3, imageSize },
    rewards: [{ params: { kind: "brightness" } }],
    optimizer: { ...PAPER_ADAM, iterations: 2, learningRate: 0.05 },
  });

describe("the memory estimate at a chosen image size", () => {
  it("counts the activations of the chosen size: about 4× at twice the side", async () => {
    const at = async (size: number) =>
      estimateDnoRunMemory(
        { model: await env.diffusion.loadModel("user:sd15", size), batch: 1, steps: 2 },
        "cpu",
      );
    const [small, large] = [await at(64), await at(128)];
    expect(large.weightsBytes).toBe(small.weightsBytes);
    const ratio = large.activationBytes / small.activationBytes;
    expect(ratio).toBeGreaterThan(3.5);
    expect(ratio).toBeLessThan(6);
  });
});

describe("a DNO run at a chosen image size", () => {
  // Most of the time is ONNX Runtime building the tiny UNet's VJP session.
  it("optimizes the SD-1.5 export at 128 px: 16×16 latents, 128-px pictures, a nonzero gradient", async () => {
    const log: string[] = [];
    const result = await runDno({
      plan: planRun(workflow("user:sd15", 128)),
      env,
      log: (line) => log.push(line),
    });
    expect(result.history).toHaveLength(2);
    for (const image of [result.initialImage, result.finalImage]) {
      expect([image.batch, image.channels, image.height, image.width]).toEqual([1, 3, 128, 128]);
    }
    // x_T and two step noises per image, each 4×16×16.
    expect(result.checkpoint.noise[0]).toHaveLength(3 * 4 * 16 * 16);
    const first = result.history[0]!;
    expect(Number.isFinite(first.objective)).toBe(true);
    expect(first.gradNorm).toBeGreaterThan(0);
    // The optimizer moved the picture: the gradient reached the noise through the 16×16 chain.
    expect(result.finalImage.data).not.toEqual(result.initialImage.data);
    expect(log).toContain("Image size 128×128 px (latents 4×16×16).");
    recomputed = result;
  }, 240_000);

  it("gives the same run with the forward's activations kept (store mode's split models at 16×16)", async () => {
    if (!recomputed) throw new Error("the recompute run failed first");
    const log: string[] = [];
    const stored = await runDno({
      plan: planRun(workflow("user:sd15", 128)),
      env: storeEnv,
      log: (line) => log.push(line),
    });
    expect(log).toContainEqual(expect.stringContaining("Memory mode store"));
    expect(stored.finalImage.height).toBe(128);
    for (const [index, record] of stored.history.entries()) {
      const reference = recomputed.history[index]!;
      // Same float32 numbers up to summation order.
      expect(Math.abs(record.gradNorm - reference.gradNorm)).toBeLessThanOrEqual(1e-3 * reference.gradNorm);
      expect(Math.abs(record.objective - reference.objective)).toBeLessThanOrEqual(
        1e-4 * Math.abs(reference.objective),
      );
    }
  }, 300_000);

  it("refuses 128 px on the bundled 64-px model, naming the Sampler, Image size and the size it draws", async () => {
    const vjpDir = path.join(scratch, "vjp");
    const cachedBefore = existsSync(vjpDir) ? readdirSync(vjpDir) : [];
    const attempt = runDno({ plan: planRun(workflow("tiny-shapes-sd", 128)), env });
    await expect(attempt).rejects.toBeInstanceOf(ExecutorError);
    await expect(attempt).rejects.toMatchObject({
      code: "WORKFLOW_INVALID",
      issues: [
        {
          code: "image-size-unsupported",
          nodeId: "sampler-1",
          param: "imageSize",
          message:
            "Sampler › Image size: 128 px is not possible: this model draws only 64×64 px (its graphs fix the size); choose “Model default”.",
        },
      ],
    });
    // Refused before any backward model was built.
    expect(existsSync(vjpDir) ? readdirSync(vjpDir) : []).toEqual(cachedBefore);
  });
});
