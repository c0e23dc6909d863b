/**
 * Public-export-shaped SD folders (models/sd_arch/tiny: the scaled-down SD-1.5 and SD-2.1 architectures that
 * `npm run build:sd-arch` writes, committed) through the loader and sampler, against the PyTorch generation
 * the same build wrote (fixtures/generation.json + .bin). The folders have what the public diffusers-ONNX
 * exports have and nothing more: no per-part config.json, vocab.json + merges.txt, int32 input_ids, float
 * timesteps, the UNet's weights in unet/weights.pb, a float16 variant, and (SD-2.1) v-prediction.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { decodeModel, encodeModel } from "@/server/autodiff/proto";
import { createOnnxRuntime } from "@/server/onnx/runtime";
import type { HostTensor } from "@/server/onnx/types";
import { createDiffusionRuntime } from "./diffusion-runtime";
import { listModels, modelDirectories } from "./discovery";
import { type DiffusionModel, loadModelFolder } from "./folder";
import { encodePrompts, sample } from "./sampler";

const tinyDir = path.resolve(import.meta.dirname, "../../models/sd_arch/tiny");

const manifestSchema = z.object({
  settings: z.object({
    prompt: z.string(),
    negative_prompt: z.string(),
    steps: z.number().int(),
    guidance: z.number(),
    eta: z.number(),
    latent: z.array(z.number().int()),
  }),
  ids: z.array(z.array(z.number().int())),
  timesteps: z.array(z.number().int()),
  image: z.object({ image_shape: z.array(z.number().int()), image_mean: z.number() }),
  tensors: z.record(z.string(), z.object({ shape: z.array(z.number().int()), offset: z.number().int() })),
});

interface Fixture {
  readonly manifest: z.infer<typeof manifestSchema>;
  tensor(name: string): Float32Array;
}

/** The PyTorch generation of a float32 build (the float16 build is checked against its float32 twin's). */
function readFixture(arch: string): Fixture {
  const dir = path.join(tinyDir, arch, "fixtures");
  const manifest = manifestSchema.parse(JSON.parse(readFileSync(path.join(dir, "generation.json"), "utf8")));
  const bytes = readFileSync(path.join(dir, "generation.bin"));
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return {
    manifest,
    tensor(name) {
      const entry = manifest.tensors[name];
      if (!entry) throw new Error(`fixture has no tensor ${name}`);
      const size = entry.shape.reduce((a, b) => a * b, 1);
      return all.subarray(entry.offset, entry.offset + size);
    },
  };
}

function floats(tensor: HostTensor | undefined): Float32Array {
  if (tensor?.type !== "float32") throw new Error("expected a float32 output");
  return tensor.data;
}

/** max |a − b| / max |b|: the error relative to the tensor's scale. */
function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const reference = expected[i] ?? 0;
    scale = Math.max(scale, Math.abs(reference));
    worst = Math.max(worst, Math.abs((actual[i] ?? Number.NaN) - reference));
  }
  return worst / scale;
}

const runtimePromise = createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 0 });
const loaded = new Map<string, Promise<DiffusionModel>>();
const copies: string[] = [];
afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

/**
 * Loads a build as committed, or (`sampleSize`) a copy with the unet/config.json an optimum export would
 * add: the fixtures are 16×16 latents, which keeps the generations to seconds (64×64 takes minutes here).
 */
function load(arch: string, sampleSize?: number): Promise<DiffusionModel> {
  const key = `${arch}|${sampleSize ?? ""}`;
  let model = loaded.get(key);
  if (!model) {
    let dir = path.join(tinyDir, arch);
    if (sampleSize !== undefined) {
      const copy = mkdtempSync(path.join(tmpdir(), "dno-sd-arch-"));
      copies.push(copy);
      cpSync(dir, copy, { recursive: true });
      writeFileSync(path.join(copy, "unet/config.json"), JSON.stringify({ sample_size: sampleSize }));
      dir = copy;
    }
    model = (async () => loadModelFolder(dir, { runtime: await runtimePromise }))();
    loaded.set(key, model);
  }
  return model;
}

/** The fixture's generation through the app's sampler; returns x_0 and the picture's corner and mean. */
async function generate(model: DiffusionModel, fixture: Fixture) {
  const { settings } = fixture.manifest;
  const conditioning = await encodePrompts(model, [settings.prompt], settings.negative_prompt);
  const steps = settings.steps;
  const noises = fixture.manifest.tensors.step_noises
    ? Array.from({ length: steps }, (_, i) => {
        const all = fixture.tensor("step_noises");
        const size = all.length / steps;
        return all.slice(i * size, (i + 1) * size);
      })
    : null;
  const result = await sample({
    model,
    conditioning,
    xT: fixture.tensor("x_T"),
    stepNoises: noises,
    steps,
    eta: settings.eta,
    guidanceScale: settings.guidance,
  });
  const image = result.image;
  if (!image) throw new Error("no image");
  const corner = new Float32Array(3 * 32 * 32);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++)
        corner[(c * 32 + y) * 32 + x] = image.data[(c * image.height + y) * image.width + x] ?? Number.NaN;
  const mean = image.data.reduce((sum, value) => sum + value, 0) / image.data.length;
  return { conditioning, result, image, corner, mean };
}

// Loading the float16 build lets ONNX Runtime insert its float32 fallbacks: tens of seconds on a busy 2-core machine.
const SLOW = 240_000;

describe("SD-1.5-architecture export (float32, UNet weights in unet/weights.pb)", () => {
  it(
    "loads without per-part configs: sizes from the graphs, tokenizer from vocab.json + merges.txt",
    async () => {
      const fixture = readFixture("sd15");
      const model = await load("sd15");
      expect(model.latent).toEqual({ channels: 4, height: 64, width: 64 });
      expect(model.tokens).toBe(77);
      expect(model.hiddenWidth).toBe(32);
      expect(model.io.inputIds.type).toBe("int32");
      expect(model.io.timestep).toEqual({ type: "float32", rank: 1 });
      expect(model.io.hiddenOutput).toBe("last_hidden_state");
      expect(model.scheduler.prediction_type).toBe("epsilon");
      expect(model.scheduler.steps_offset).toBe(1);
      // The two things a public export does not say are reported as warnings with the file to add.
      expect(model.warnings.map((warning) => warning.file).sort()).toEqual([
        "unet/config.json",
        "vae_decoder/config.json",
      ]);
      expect(model.tokenizer.encode(fixture.manifest.settings.prompt)).toEqual(fixture.manifest.ids[1]);
      expect(model.tokenizer.encode("")).toEqual(fixture.manifest.ids[0]);
    },
    SLOW,
  );

  it(
    "generates what PyTorch generated (text encoder, first UNet call, 3 DDIM steps with CFG, VAE)",
    async () => {
      const fixture = readFixture("sd15");
      const model = await load("sd15", 16);
      const { conditioning, result, corner, mean, image } = await generate(model, fixture);
      expect(result.timesteps).toEqual(fixture.manifest.timesteps);
      expect(relativeError(conditioning.hidden, fixture.tensor("hidden_states"))).toBeLessThan(1e-5);
      const latent = fixture.tensor("x_T");
      const first = await model.unet.run({
        sample: { type: "float32", data: Float32Array.from([...latent, ...latent]), dims: [2, 4, 16, 16] },
        timestep: {
          type: "float32",
          data: new Float32Array(2).fill(fixture.manifest.timesteps[0] ?? 0),
          dims: [2],
        },
        encoder_hidden_states: { type: "float32", data: conditioning.hidden, dims: [2, 77, 32] },
      });
      expect(relativeError(floats(first.out_sample), fixture.tensor("unet_first_out"))).toBeLessThan(1e-4);
      expect(relativeError(result.latents.at(-1) ?? [], fixture.tensor("x_0"))).toBeLessThan(1e-4);
      expect([image.height, image.width]).toEqual([128, 128]);
      expect(relativeError(corner, fixture.tensor("image_corner"))).toBeLessThan(1e-4);
      expect(mean).toBeCloseTo(fixture.manifest.image.image_mean, 4);
    },
    SLOW,
  );
});

describe("through MODELS_DIR and the model picker", () => {
  it(
    "each folder is listed as user:<folder>, usable, and loads by its id",
    async () => {
      const directories = { ...modelDirectories({}), userDir: tinyDir, dataDir: undefined };
      const listed = listModels(directories).filter((model) => model.source === "user");
      for (const id of ["user:sd15", "user:sd15-fp16", "user:sd21"]) {
        const summary = listed.find((model) => model.id === id);
        expect(summary?.valid).toBe(true);
        // Listing reads files and configs only; the one thing it can say already is the missing VAE config.
        expect(summary?.problems).toEqual([
          expect.objectContaining({ severity: "warning", file: "vae_decoder/config.json" }),
        ]);
      }
      const runtime = createDiffusionRuntime({ onnx: await runtimePromise, directories });
      expect(await runtime.latentShape("user:sd21")).toEqual({ channels: 4, height: 64, width: 64 });
    },
    SLOW,
  );
});

describe("external data (unet/weights.pb)", () => {
  function copyOf(arch: string): string {
    const copy = mkdtempSync(path.join(tmpdir(), "dno-sd-arch-"));
    copies.push(copy);
    cpSync(path.join(tinyDir, arch), copy, { recursive: true });
    writeFileSync(path.join(copy, "unet/config.json"), JSON.stringify({ sample_size: 8 }));
    return copy;
  }

  it(
    "two exports with the same graph file and different weights get their own sessions",
    async () => {
      const runtime = await runtimePromise;
      const first = copyOf("sd15");
      const second = copyOf("sd15");
      // Fine-tunes exported by one script share unet/model.onnx byte for byte; only weights.pb differs.
      const weights = readFileSync(path.join(second, "unet/weights.pb"));
      writeFileSync(
        path.join(second, "unet/weights.pb"),
        weights.map((byte, i) => (i % 4 === 3 ? byte ^ 1 : byte)),
      );
      const feeds = {
        sample: { type: "float32", data: new Float32Array(4 * 8 * 8).fill(0.5), dims: [1, 4, 8, 8] },
        timestep: { type: "float32", data: Float32Array.of(500), dims: [1] },
        encoder_hidden_states: {
          type: "float32",
          data: new Float32Array(77 * 32).fill(0.1),
          dims: [1, 77, 32],
        },
      } as const;
      const a = await (await loadModelFolder(first, { runtime })).unet.run(feeds);
      const b = await (await loadModelFolder(second, { runtime })).unet.run(feeds);
      expect(relativeError(floats(a.out_sample), floats(b.out_sample))).toBeGreaterThan(1e-3);
    },
    SLOW,
  );

  it(
    "weights named outside the model's folder are refused (ONNX Runtime checks every location)",
    async () => {
      const dir = copyOf("sd15");
      const graph = decodeModel(readFileSync(path.join(dir, "unet/model.onnx")));
      for (const tensor of graph.graph.initializers) {
        for (const entry of tensor.externalData ?? []) {
          if (entry.key === "location") entry.value = "../weights.pb";
        }
      }
      writeFileSync(path.join(dir, "unet/model.onnx"), encodeModel(graph));
      cpSync(path.join(dir, "unet/weights.pb"), path.join(dir, "weights.pb"));
      const error = await loadModelFolder(dir, { runtime: await runtimePromise }).then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(String(error)).toContain("unet/model.onnx: cannot be loaded as ONNX");
      expect(String(error)).toContain("escapes model directory");
    },
    SLOW,
  );
});

describe("SD-1.5-architecture export in float16", () => {
  it(
    "loads like the float32 one (the app sees float32) and generates within half precision of PyTorch's float32",
    async () => {
      const fixture = readFixture("sd15");
      const model = await load("sd15-fp16", 16);
      const fp16Inputs = model.unet.inputs.filter((input) => input.castFrom === "float16").map((i) => i.name);
      expect(fp16Inputs.sort()).toEqual(["encoder_hidden_states", "sample", "timestep"]);
      expect(model.unet.inputs.every((input) => input.type === "float32")).toBe(true);
      expect(model.latent).toEqual({ channels: 4, height: 16, width: 16 });
      const { conditioning, result, mean } = await generate(model, fixture);
      expect(conditioning.hidden).toBeInstanceOf(Float32Array);
      // Half precision keeps about 3 significant digits; three steps and the VAE compound them.
      expect(relativeError(conditioning.hidden, fixture.tensor("hidden_states"))).toBeLessThan(5e-3);
      expect(relativeError(result.latents.at(-1) ?? [], fixture.tensor("x_0"))).toBeLessThan(2e-2);
      expect(mean).toBeCloseTo(fixture.manifest.image.image_mean, 2);
    },
    SLOW,
  );
});

describe("SD-2.1-architecture export (v-prediction, 1024-wide cross-attention scaled down)", () => {
  it(
    "loads with prediction_type v_prediction and samples like PyTorch (eta 1, per-step noise)",
    async () => {
      const fixture = readFixture("sd21");
      const model = await load("sd21", 16);
      expect(model.scheduler.prediction_type).toBe("v_prediction");
      expect(model.hiddenWidth).toBe(40);
      expect(model.tokenizer.padId).toBe(0); // SD-2's tokenizer pads with "!"
      expect(model.tokenizer.encode(fixture.manifest.settings.prompt)).toEqual(fixture.manifest.ids[1]);
      const { result, corner } = await generate(model, fixture);
      expect(relativeError(result.latents.at(-1) ?? [], fixture.tensor("x_0"))).toBeLessThan(1e-4);
      expect(relativeError(corner, fixture.tensor("image_corner"))).toBeLessThan(1e-4);
    },
    SLOW,
  );
});
