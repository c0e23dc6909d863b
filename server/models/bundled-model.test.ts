/**
 * The bundled model (models/tiny-shapes-sd) through the TypeScript runtime against the PyTorch fixtures its
 * build wrote (models/tiny-shapes-sd/fixtures/README.md), plus fidelity: the bundled classifier must agree
 * with the prompt's shape and colours on most generated images.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createOnnxRuntime } from "@/server/onnx/runtime";
import { loadModelFolder } from "./folder";
import { imageToRgb8 } from "./image";
import { seededNoise } from "./noise";
import { encodePrompts, latentSize, sample } from "./sampler";
import { ddimTimesteps, noiseSchedule } from "./scheduler/ddim";

const modelDir = path.resolve(import.meta.dirname, "../../models/tiny-shapes-sd");
const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(path.join(modelDir, "fixtures", name), "utf8"));

const tensorSchema = z.object({ dims: z.array(z.number().int()), data: z.array(z.number()) });
type FixtureTensor = z.infer<typeof tensorSchema>;

const runtimePromise = createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 0 });
const modelPromise = (async () => loadModelFolder(modelDir, { runtime: await runtimePromise }))();

/** Largest |a − b| / (atol + rtol·|b|): ≤ 1 means every element is within tolerance. */
function worstError(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol = 0): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const reference = expected[i] ?? 0;
    worst = Math.max(
      worst,
      Math.abs((actual[i] ?? Number.NaN) - reference) / (atol + rtol * Math.abs(reference)),
    );
  }
  return worst;
}

function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++)
    worst = Math.max(worst, Math.abs((actual[i] ?? Number.NaN) - (expected[i] ?? 0)));
  return worst;
}

const f32 = (tensor: FixtureTensor) => Float32Array.from(tensor.data);

describe("bundled model tiny-shapes-sd", () => {
  it("loads with no problems and reports its sizes from the files", async () => {
    const model = await modelPromise;
    expect(model.warnings).toEqual([]);
    expect(model.latent).toEqual({ channels: 4, height: 8, width: 8 });
    expect(model.tokens).toBe(16);
  });

  it("tokenizer and text encoder equal the PyTorch build", async () => {
    const model = await modelPromise;
    const reference = z
      .object({ prompt: z.string(), input_ids: tensorSchema, last_hidden_state: tensorSchema })
      .parse(fixture("text_encoder_forward.json"));
    expect(model.tokenizer.encode(reference.prompt)).toEqual(reference.input_ids.data);
    const conditioning = await encodePrompts(model, [reference.prompt]);
    const cond = conditioning.hidden.subarray(conditioning.hidden.length / 2);
    const error = maxAbsDiff(cond, reference.last_hidden_state.data);
    console.log(`text encoder: max |ONNX − PyTorch| = ${error.toExponential(2)}`);
    expect(worstError(cond, reference.last_hidden_state.data, 1e-4, 1e-4)).toBeLessThanOrEqual(1);
  });

  it("UNet outputs equal the PyTorch model's on fixed inputs", async () => {
    const model = await modelPromise;
    const reference = z
      .object({
        inputs: z.object({
          sample: tensorSchema,
          timestep: tensorSchema,
          encoder_hidden_states: tensorSchema,
        }),
        outputs: z.object({ out_sample: tensorSchema }),
      })
      .parse(fixture("unet_forward.json"));
    const { sample: x, timestep, encoder_hidden_states: hidden } = reference.inputs;
    const outputs = await model.unet.run({
      sample: { type: "float32", data: f32(x), dims: x.dims },
      timestep: {
        type: "int64",
        data: BigInt64Array.from(timestep.data, (t) => BigInt(t)),
        dims: timestep.dims,
      },
      encoder_hidden_states: { type: "float32", data: f32(hidden), dims: hidden.dims },
    });
    const out = outputs[model.io.unetOutput];
    if (out?.type !== "float32") throw new Error("no float32 UNet output");
    console.log(
      `UNet: max |ONNX − PyTorch| = ${maxAbsDiff(out.data, reference.outputs.out_sample.data).toExponential(2)}`,
    );
    expect(worstError(out.data, reference.outputs.out_sample.data, 1e-4, 1e-4)).toBeLessThanOrEqual(1);
  });

  it("the full DDIM sample (eta 1, CFG 5, explicit noise) equals fixtures/ddim_reference.json", async () => {
    const model = await modelPromise;
    const reference = z
      .object({
        prompt: z.string(),
        negative_prompt: z.string(),
        steps: z.number().int(),
        eta: z.number(),
        guidance: z.number(),
        scaling_factor: z.number(),
        timesteps: z.array(z.number().int()),
        alphas_cumprod: z.array(z.number()),
        x_T: tensorSchema,
        step_noises: z.array(tensorSchema),
        intermediate_latents: z.array(tensorSchema),
        final_latent: tensorSchema,
        image: tensorSchema,
      })
      .parse(fixture("ddim_reference.json"));
    expect(model.vaeScalingFactor).toBeCloseTo(reference.scaling_factor, 6);
    expect(ddimTimesteps(model.scheduler, reference.steps)).toEqual(reference.timesteps);
    // Ours is float64, diffusers' float32: equal to float32 precision.
    const { alphasCumprod } = noiseSchedule(model.scheduler);
    expect(worstError(alphasCumprod, reference.alphas_cumprod, 0, 1e-5)).toBeLessThanOrEqual(1);

    const result = await sample({
      model,
      conditioning: await encodePrompts(model, [reference.prompt], reference.negative_prompt),
      xT: f32(reference.x_T),
      stepNoises: reference.step_noises.map(f32),
      steps: reference.steps,
      eta: reference.eta,
      guidanceScale: reference.guidance,
      // The build's reference follows diffusers: noise on the last step too (fixtures/README.md).
      finalStepNoise: true,
    });
    expect(result.latents).toHaveLength(reference.steps + 1);
    const errors = reference.intermediate_latents.map((latent, i) =>
      maxAbsDiff(result.latents[i + 1] ?? [], latent.data),
    );
    const imageError = maxAbsDiff(result.image?.data ?? [], reference.image.data);
    console.log(
      `DDIM: max |ONNX − PyTorch| per step ${errors.map((e) => e.toExponential(1)).join(" ")}; image ${imageError.toExponential(2)}`,
    );
    for (const [i, latent] of reference.intermediate_latents.entries()) {
      expect(
        worstError(result.latents[i + 1] ?? [], latent.data, 1e-3, 1e-3),
        `step ${i}`,
      ).toBeLessThanOrEqual(1);
    }
    expect(
      worstError(result.latents.at(-1) ?? [], reference.final_latent.data, 1e-3, 1e-3),
    ).toBeLessThanOrEqual(1);
    expect(worstError(result.image?.data ?? [], reference.image.data, 2e-3, 1e-3)).toBeLessThanOrEqual(1);
  });

  it("same seed → identical pixels", async () => {
    const model = await modelPromise;
    const generate = async () => {
      const noise = seededNoise({ seeds: [2024], latentSize: latentSize(model), steps: 20 });
      const result = await sample({
        model,
        conditioning: await encodePrompts(model, ["a green square on a yellow background"]),
        ...noise,
        steps: 20,
        eta: 1,
        guidanceScale: 5,
      });
      if (!result.image) throw new Error("no image");
      return imageToRgb8(result.image).data;
    };
    const first = await generate();
    const second = await generate();
    expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true);
  });
});

const labelsSchema = z.object({
  output: z.string(),
  input: z.object({ name: z.string() }),
  heads: z.array(z.object({ name: z.string(), offset: z.number().int(), classes: z.array(z.string()) })),
});

// Prompts whose attributes are known by construction: [prompt, shape, shape colour, background colour].
const FIDELITY_PROMPTS: readonly [string, string, string, string][] = [
  ["a red circle on a blue background", "circle", "red", "blue"],
  ["a green square on a yellow background", "square", "green", "yellow"],
  ["a blue triangle on a white background", "triangle", "blue", "white"],
  ["a yellow circle on a black background", "circle", "yellow", "black"],
  ["a white square on a red background", "square", "white", "red"],
  ["a black triangle on a green background", "triangle", "black", "green"],
  ["two small red squares on a white background", "square", "red", "white"],
  ["a large blue circle on a yellow background", "circle", "blue", "yellow"],
];
const FIDELITY_SEEDS = [11, 22, 33];

describe("fidelity of the bundled model", () => {
  it("the bundled classifier agrees with the prompt's shape and colours in ≥ 80 % of 24 images", async () => {
    const model = await modelPromise;
    const runtime = await runtimePromise;
    const labels = labelsSchema.parse(fixture("../classifier/labels.json"));
    const classifier = await runtime.load(path.join(modelDir, "classifier/model.onnx"), {
      name: "classifier",
    });
    const head = (name: string) => {
      const found = labels.heads.find((h) => h.name === name);
      if (!found) throw new Error(`labels.json has no head "${name}"`);
      return found;
    };
    const heads = [head("shape"), head("shape_colour"), head("background_colour")];
    const logitsWidth = heads.reduce((sum, h) => Math.max(sum, h.offset + h.classes.length), 0);
    let agreeing = 0;
    let total = 0;
    const perHead = [0, 0, 0];
    const misses: string[] = [];
    for (const [prompt, ...expected] of FIDELITY_PROMPTS) {
      const noise = seededNoise({ seeds: FIDELITY_SEEDS, latentSize: latentSize(model), steps: 50 });
      const result = await sample({
        model,
        conditioning: await encodePrompts(
          model,
          FIDELITY_SEEDS.map(() => prompt),
        ),
        ...noise,
        steps: 50,
        eta: 1,
        guidanceScale: 5,
      });
      if (!result.image) throw new Error("no image");
      const pixels = result.image.data.map((v) => Math.min(1, Math.max(-1, v)));
      const outputs = await classifier.run({
        [labels.input.name]: {
          type: "float32",
          data: pixels,
          dims: [result.image.batch, 3, result.image.height, result.image.width],
        },
      });
      const logits = outputs[labels.output];
      if (logits?.type !== "float32") throw new Error("classifier returned no float32 logits");
      for (let b = 0; b < result.image.batch; b++) {
        const predicted = heads.map((h) => {
          const slice = Array.from(
            logits.data.subarray(b * logitsWidth + h.offset, b * logitsWidth + h.offset + h.classes.length),
          );
          return h.classes[slice.indexOf(Math.max(...slice))];
        });
        const correct = predicted.map((p, i) => p === expected[i]);
        correct.forEach((ok, i) => {
          if (ok) perHead[i] = (perHead[i] ?? 0) + 1;
        });
        total += 1;
        if (correct.every(Boolean)) agreeing += 1;
        else misses.push(`"${prompt}" seed ${FIDELITY_SEEDS[b]} → ${predicted.join("/")}`);
      }
    }
    const rate = agreeing / total;
    console.log(
      `fidelity: classifier agrees on ${agreeing}/${total} images (${(rate * 100).toFixed(1)} %); per head ` +
        heads.map((h, i) => `${h.name} ${(((perHead[i] ?? 0) / total) * 100).toFixed(0)} %`).join(", ") +
        (misses.length ? `\n  misses: ${misses.join("\n          ")}` : ""),
    );
    expect(total).toBe(24);
    expect(rate).toBeGreaterThanOrEqual(0.8);
  });
});
