/**
 * The last DDIM step's convention (METHOD.md §2 "The last step") against the PyTorch fixture
 * models/tiny-shapes-sd/fixtures/ddim_final_step.json (written by models/final_step_fixtures.py from the
 * committed weights): the same noise sampled with a noise-free last step (the default) and with diffusers'
 * noise on the last step.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createOnnxRuntime } from "@/server/onnx/runtime";
import { loadModelFolder } from "./folder";
import { encodePrompts, sample } from "./sampler";
import { ddimPlan, ddimTimesteps } from "./scheduler/ddim";

const modelDir = path.resolve(import.meta.dirname, "../../models/tiny-shapes-sd");
const tensorSchema = z.object({ dims: z.array(z.number().int()), data: z.array(z.number()) });
const runSchema = z.object({
  intermediate_latents: z.array(tensorSchema),
  final_latent: tensorSchema,
  image_channel_means: z.array(z.number()).length(3),
});
const reference = z
  .object({
    prompt: z.string(),
    negative_prompt: z.string(),
    steps: z.number().int(),
    eta: z.number(),
    guidance: z.number(),
    timesteps: z.array(z.number().int()),
    x_T: tensorSchema,
    step_noises: z.array(tensorSchema),
    noise_free: runSchema,
    final_step_noise: runSchema,
  })
  .parse(JSON.parse(readFileSync(path.join(modelDir, "fixtures", "ddim_final_step.json"), "utf8")));

const runtimePromise = createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 0 });
const modelPromise = (async () => loadModelFolder(modelDir, { runtime: await runtimePromise }))();

function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++)
    worst = Math.max(worst, Math.abs((actual[i] ?? Number.NaN) - (expected[i] ?? 0)));
  return worst;
}

function channelMeans(data: Float32Array, channels: number): number[] {
  const per = data.length / channels;
  return Array.from({ length: channels }, (_, c) => {
    let sum = 0;
    for (let i = 0; i < per; i++) sum += data[c * per + i]!;
    return sum / per;
  });
}

// Same bound as the ONNX-vs-PyTorch UNet comparison seen on this model (fixtures/README.md): the runtimes
// differ in float32 rounding only. The two conventions differ by far more (checked below).
const TOLERANCE = 1e-4;

describe("the last DDIM step against PyTorch (fixtures/ddim_final_step.json)", () => {
  it("the plan: σ = 0 on the last step by default, diffusers' σ_t with finalStepNoise", async () => {
    const model = await modelPromise;
    const plain = ddimPlan(model.scheduler, reference.steps, reference.eta);
    const diffusers = ddimPlan(model.scheduler, reference.steps, reference.eta, { finalStepNoise: true });
    expect(plain.at(-1)?.sigma).toBe(0);
    expect(diffusers.at(-1)?.sigma).toBeGreaterThan(0.01);
    // Every other step is the same in both conventions.
    expect(plain.slice(0, -1)).toEqual(diffusers.slice(0, -1));
  });

  for (const [name, finalStepNoise] of [
    ["noise_free", false],
    ["final_step_noise", true],
  ] as const) {
    it(`a 4-step sample with ${name === "noise_free" ? "a noise-free last step (default)" : "noise on the last step"} equals PyTorch`, async () => {
      const model = await modelPromise;
      expect(ddimTimesteps(model.scheduler, reference.steps)).toEqual(reference.timesteps);
      const result = await sample({
        model,
        conditioning: await encodePrompts(model, [reference.prompt], reference.negative_prompt),
        xT: Float32Array.from(reference.x_T.data),
        stepNoises: reference.step_noises.map((noise) => Float32Array.from(noise.data)),
        steps: reference.steps,
        eta: reference.eta,
        guidanceScale: reference.guidance,
        ...(finalStepNoise ? { finalStepNoise } : {}),
      });
      const expected = reference[name];
      const other = reference[finalStepNoise ? "noise_free" : "final_step_noise"];
      const errors = expected.intermediate_latents.map((latent, i) =>
        maxAbsDiff(result.latents[i + 1] ?? [], latent.data),
      );
      console.log(
        `${name}: max |ONNX − PyTorch| per step ${errors.map((e) => e.toExponential(1)).join(" ")}`,
      );
      for (const [i, error] of errors.entries()) expect(error, `step ${i}`).toBeLessThanOrEqual(TOLERANCE);
      const x0 = result.latents.at(-1) ?? new Float32Array();
      expect(maxAbsDiff(x0, expected.final_latent.data)).toBeLessThanOrEqual(TOLERANCE);
      // The test tells the conventions apart: the other one's x_0 is far outside the tolerance.
      expect(maxAbsDiff(x0, other.final_latent.data)).toBeGreaterThan(100 * TOLERANCE);
      const means = channelMeans(result.image?.data ?? new Float32Array(), 3);
      for (const [c, mean] of means.entries())
        expect(Math.abs(mean - expected.image_channel_means[c]!), `channel ${c}`).toBeLessThanOrEqual(
          TOLERANCE,
        );
    });
  }
});
