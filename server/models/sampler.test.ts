import { describe, expect, it } from "vitest";
import { createOnnxRuntime } from "@/server/onnx/runtime";
import { loadModelFolder } from "./folder";
import { imageToRgb8 } from "./image";
import { seededNoise } from "./noise";
import { encodePrompts, latentSize, sample } from "./sampler";
import { ddimPlan, ddimStep } from "./scheduler/ddim";
import { TINY_VOCAB, writeTinyModelFolder } from "./testing/tiny-folder";

// The tiny folder's real ONNX graphs: text encoder = row lookup in a table (sin(0.7·i)/2), UNet
// ε = 0.5·x + mean(hidden row) + 0.001·t, VAE = tanh(1×1 conv).
const modelPromise = (async () =>
  loadModelFolder(writeTinyModelFolder(), {
    runtime: await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 }),
  }))();

function meanHidden(ids: readonly number[], width: number): number {
  let sum = 0;
  for (const id of ids) for (let j = 0; j < width; j++) sum += Math.sin((id * width + j) * 0.7) * 0.5;
  return sum / (ids.length * width);
}

describe("prompt encoding", () => {
  it("puts the unconditional (negative) rows first, then the prompts", async () => {
    const model = await modelPromise;
    const conditioning = await encodePrompts(model, ["a red circle", "a blue square"], "background");
    expect(conditioning.batch).toBe(2);
    expect(conditioning.hidden.length).toBe(4 * 6 * 8);
    const row = (r: number) => conditioning.hidden.subarray(r * 48, r * 48 + 8);
    const bos = Array.from({ length: 8 }, (_, j) => Math.fround(Math.sin(j * 0.7) * 0.5));
    expect(Array.from(row(0))).toEqual(bos);
    // Second token of row 0 is "background" (the negative), of row 2 "a" (the first prompt).
    const tokenRow = (r: number, t: number) =>
      Array.from(conditioning.hidden.subarray(r * 48 + t * 8, r * 48 + t * 8 + 8));
    const expectedToken = (id: number) =>
      Array.from({ length: 8 }, (_, j) => Math.fround(Math.sin((id * 8 + j) * 0.7) * 0.5));
    expect(tokenRow(0, 1)).toEqual(expectedToken(TINY_VOCAB.indexOf("background")));
    expect(tokenRow(1, 1)).toEqual(expectedToken(TINY_VOCAB.indexOf("background")));
    expect(tokenRow(2, 1)).toEqual(expectedToken(TINY_VOCAB.indexOf("a")));
    expect(tokenRow(3, 2)).toEqual(expectedToken(TINY_VOCAB.indexOf("blue")));
  });
});

describe("sampler", () => {
  it("one step with CFG equals the DDIM step on ε_u + w·(ε_c − ε_u) computed by hand", async () => {
    const model = await modelPromise;
    const conditioning = await encodePrompts(model, ["a red circle"]);
    const size = latentSize(model);
    const { xT, stepNoises } = seededNoise({ seeds: [7], latentSize: size, steps: 1 });
    const w = 4;
    const result = await sample({ model, conditioning, xT, stepNoises, steps: 1, eta: 1, guidanceScale: w });
    const [step] = ddimPlan(model.scheduler, 1, 1);
    if (!step) throw new Error("no plan");
    const uncondMean = meanHidden(model.tokenizer.encode(""), 8);
    const condMean = meanHidden(model.tokenizer.encode("a red circle"), 8);
    const epsilon = xT.map((x) => 0.5 * x + 0.001 * step.timestep + uncondMean + w * (condMean - uncondMean));
    const expected = ddimStep(step, xT, epsilon, stepNoises[0] ?? null);
    const got = result.latents[1];
    if (!got) throw new Error("no latent");
    for (let i = 0; i < size; i++) expect(got[i]).toBeCloseTo(expected[i]!, 4);
    expect(result.latents).toHaveLength(2);
    expect(Array.from(result.latents[0]!)).toEqual(Array.from(xT));
    expect(result.image?.width).toBe(4);
  });

  it("same seed → identical pixels; another seed → different ones", async () => {
    const model = await modelPromise;
    const conditioning = await encodePrompts(model, ["a red circle"]);
    const run = async (seed: number) => {
      const noise = seededNoise({ seeds: [seed], latentSize: latentSize(model), steps: 10 });
      const result = await sample({ model, conditioning, ...noise, steps: 10, eta: 1, guidanceScale: 5 });
      if (!result.image) throw new Error("no image");
      return Array.from(imageToRgb8(result.image).data);
    };
    const first = await run(123);
    expect(await run(123)).toEqual(first);
    expect(await run(124)).not.toEqual(first);
  });

  it("eta = 0 ignores per-step noise; eta > 0 uses it", async () => {
    const model = await modelPromise;
    const conditioning = await encodePrompts(model, ["a blue square"]);
    const size = latentSize(model);
    const a = seededNoise({ seeds: [1], latentSize: size, steps: 5 });
    const b = seededNoise({ seeds: [2], latentSize: size, steps: 5 });
    const common = { model, conditioning, xT: a.xT, steps: 5, guidanceScale: 3 };
    const detA = await sample({ ...common, eta: 0, stepNoises: a.stepNoises });
    const detB = await sample({ ...common, eta: 0, stepNoises: b.stepNoises });
    const detNone = await sample({ ...common, eta: 0, stepNoises: null });
    expect(Array.from(detA.latents.at(-1)!)).toEqual(Array.from(detB.latents.at(-1)!));
    expect(Array.from(detA.latents.at(-1)!)).toEqual(Array.from(detNone.latents.at(-1)!));
    const stoA = await sample({ ...common, eta: 1, stepNoises: a.stepNoises });
    const stoB = await sample({ ...common, eta: 1, stepNoises: b.stepNoises });
    expect(Array.from(stoA.latents.at(-1)!)).not.toEqual(Array.from(stoB.latents.at(-1)!));
    await expect(sample({ ...common, eta: 1, stepNoises: null })).rejects.toThrow(
      /needs 5 per-step noise tensors/,
    );
  });

  it("a batch of seeds gives the same images as each seed alone", async () => {
    const model = await modelPromise;
    const size = latentSize(model);
    const batchNoise = seededNoise({ seeds: [5, 6], latentSize: size, steps: 4 });
    const batch = await sample({
      model,
      conditioning: await encodePrompts(model, ["a red circle", "a red circle"]),
      ...batchNoise,
      steps: 4,
      eta: 1,
      guidanceScale: 5,
    });
    const single = await sample({
      model,
      conditioning: await encodePrompts(model, ["a red circle"]),
      ...seededNoise({ seeds: [6], latentSize: size, steps: 4 }),
      steps: 4,
      eta: 1,
      guidanceScale: 5,
    });
    const second = batch.latents.at(-1)!.subarray(size);
    const alone = single.latents.at(-1)!;
    for (let i = 0; i < size; i++) expect(second[i]).toBeCloseTo(alone[i]!, 5);
  });

  it("reads sizes from the folder: SD-1.5-like 77 tokens and a 4×6×6 latent with dynamic spatial axes", async () => {
    const model = await loadModelFolder(writeTinyModelFolder({ tokens: 77, width: 12, size: 6 }), {
      runtime: await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 }),
    });
    expect(model.tokens).toBe(77);
    expect(model.latent).toEqual({ channels: 4, height: 6, width: 6 });
    const noise = seededNoise({ seeds: [1, 2], latentSize: latentSize(model), steps: 3 });
    const result = await sample({
      model,
      conditioning: await encodePrompts(model, ["a red circle", "a blue square"]),
      ...noise,
      steps: 3,
      eta: 0.5,
      guidanceScale: 7.5,
    });
    expect(result.image).toMatchObject({ batch: 2, height: 6, width: 6 });
    expect(result.latents[3]).toHaveLength(2 * 4 * 6 * 6);
  });

  it("stops between steps when the run is cancelled", async () => {
    const model = await modelPromise;
    const controller = new AbortController();
    const seen: number[] = [];
    const attempt = sample({
      model,
      conditioning: await encodePrompts(model, ["a red circle"]),
      ...seededNoise({ seeds: [1], latentSize: latentSize(model), steps: 10 }),
      steps: 10,
      eta: 1,
      guidanceScale: 5,
      signal: controller.signal,
      onStep: ({ index }) => {
        seen.push(index);
        if (index === 2) controller.abort(new Error("cancelled by the user"));
      },
    });
    await expect(attempt).rejects.toThrow("cancelled by the user");
    expect(seen).toEqual([0, 1, 2]);
  });

  it("rejects an x_T of the wrong size, naming the expected shape", async () => {
    const model = await modelPromise;
    const conditioning = await encodePrompts(model, ["a"]);
    await expect(
      sample({
        model,
        conditioning,
        xT: new Float32Array(3),
        stepNoises: null,
        steps: 2,
        eta: 0,
        guidanceScale: 1,
      }),
    ).rejects.toThrow(
      "x_T has 3 values; tiny-model needs batch 1 × 4×4×4 = 64".replace("tiny-model", model.name),
    );
  });
});
