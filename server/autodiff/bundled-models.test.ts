/**
 * Whole-model checks on the bundled tiny Stable-Diffusion-shaped models (models/tiny-shapes-sd,
 * or $DNO_AUTODIFF_MODEL_DIR): every op has a rule, the VJP matches central differences, and it
 * matches the PyTorch reference gradients written by the model build (fixtures/*_vjp.json).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { HostTensor } from "../onnx/evaluate";
import { evaluateModel } from "../onnx/evaluate";
import { DataType } from "./ir";
import { decodeModel, encodeModel } from "./proto";
import { RULES } from "./rules";
import { NON_DIFFERENTIABLE } from "./rules/types";
import { gradCheck, randomTensor } from "./testing/gradcheck";
import { analyzeModel, buildVjpModel, cotangentInputName, gradientOutputName } from "./vjp";

const MODEL_DIR =
  process.env.DNO_AUTODIFF_MODEL_DIR ?? path.resolve(import.meta.dirname, "../../models/tiny-shapes-sd");
const modelFile = (part: string) => path.join(MODEL_DIR, part, "model.onnx");
const hasModels = ["unet", "vae_decoder", "classifier"].every((p) => existsSync(modelFile(p)));

interface Part {
  part: string;
  wrt: string[];
  of: string;
  fixture: string;
  feeds: () => Record<string, HostTensor>;
  /** Step of the random-direction check: small where ReLU kinks make wide steps average slopes. */
  randomStep: number;
}

const PARTS: Part[] = [
  {
    part: "unet",
    wrt: ["sample", "encoder_hidden_states"],
    of: "out_sample",
    fixture: "unet_vjp.json",
    randomStep: 1e-2,
    feeds: () => ({
      sample: randomTensor(1, [2, 4, 8, 8], "float32"),
      timestep: { type: "int64", dims: [2], data: [981, 421] },
      encoder_hidden_states: randomTensor(2, [2, 16, 64], "float32"),
    }),
  },
  {
    part: "vae_decoder",
    wrt: ["latent_sample"],
    of: "sample",
    fixture: "vae_decoder_vjp.json",
    randomStep: 1e-2,
    feeds: () => ({ latent_sample: randomTensor(3, [1, 4, 8, 8], "float32") }),
  },
  {
    part: "classifier",
    wrt: ["image"],
    of: "logits",
    fixture: "classifier_vjp.json",
    randomStep: 1e-3,
    feeds: () => ({ image: randomTensor(4, [1, 3, 64, 64], "float32", (v) => Math.tanh(v)) }),
  },
];

const tensorSchema = z.object({ dims: z.array(z.number().int()), data: z.array(z.number()) });
const fixtureSchema = z.object({
  inputs: z.record(z.string(), tensorSchema),
  cotangent: tensorSchema,
  grads: z.record(z.string(), tensorSchema),
});

describe.skipIf(!hasModels)(`bundled models in ${MODEL_DIR}`, () => {
  it("every op of every bundled graph has a VJP rule or carries no gradient", () => {
    for (const part of ["text_encoder", "unet", "vae_decoder", "classifier"]) {
      if (!existsSync(modelFile(part))) continue;
      const { nodes } = analyzeModel(readFileSync(modelFile(part)));
      const missing = [...new Set(nodes.map((n) => n.opType))].filter(
        (op) => !RULES[op] && !NON_DIFFERENTIABLE.has(op),
      );
      expect(missing, `${part} ops without a rule`).toEqual([]);
    }
  });

  for (const p of PARTS) {
    describe(p.part, () => {
      const bytes = () => new Uint8Array(readFileSync(modelFile(p.part)));

      it("VJP along the gradient direction matches central differences", async () => {
        const results = await gradCheck({
          model: decodeModel(bytes()),
          wrt: p.wrt,
          of: p.of,
          feeds: p.feeds(),
          h: 1e-2,
          rtol: 5e-3,
          atol: 1e-5,
          direction: "gradient",
        });
        for (const r of results)
          expect(r.error, `${r.name}: ${r.analytic} vs ${r.numeric}`).toBeLessThanOrEqual(r.tolerance);
      });

      it("VJP along a random direction matches central differences (within float32 noise)", async () => {
        const results = await gradCheck({
          model: decodeModel(bytes()),
          wrt: p.wrt,
          of: p.of,
          feeds: p.feeds(),
          h: p.randomStep,
          rtol: 1e-2,
          atol: 1e-4,
          seed: 99,
          noiseAware: true,
        });
        for (const r of results)
          expect(r.error, `${r.name}: ${r.analytic} vs ${r.numeric}`).toBeLessThanOrEqual(r.tolerance);
      });

      const fixtureFile = path.join(MODEL_DIR, "fixtures", p.fixture);
      it.skipIf(!existsSync(fixtureFile))("matches the PyTorch reference gradients", async () => {
        const fixture = fixtureSchema.parse(JSON.parse(readFileSync(fixtureFile, "utf8")));
        const { model } = analyzeModel(bytes());
        const feeds: Record<string, HostTensor> = {};
        for (const input of model.graph.inputs) {
          const t = fixture.inputs[input.name];
          if (!t) throw new Error(`fixture ${p.fixture} lacks input ${input.name}`);
          feeds[input.name] =
            input.elemType === DataType.INT64
              ? { type: "int64", dims: t.dims, data: t.data }
              : { type: "float32", dims: t.dims, data: Float32Array.from(t.data) };
        }
        const wrt = Object.keys(fixture.grads);
        const vjp = encodeModel(buildVjpModel(bytes(), { wrt, of: p.of }));
        const out = await evaluateModel(vjp, {
          ...feeds,
          [cotangentInputName(p.of)]: {
            type: "float32",
            dims: fixture.cotangent.dims,
            data: Float32Array.from(fixture.cotangent.data),
          },
        });
        for (const name of wrt) {
          const reference = fixture.grads[name]!;
          const ours = out[gradientOutputName(name)]!;
          expect(ours.dims).toEqual(reference.dims);
          const got = Array.from(ours.data as Float32Array);
          const scale = Math.max(...reference.data.map(Math.abs));
          const worst = Math.max(...got.map((v, i) => Math.abs(v - reference.data[i]!)));
          // Seen: ~6e-7 relative (float32 rounding differences between PyTorch and onnxruntime).
          expect(worst, `${p.part} grad ${name}: max |diff| vs max |ref| ${scale}`).toBeLessThanOrEqual(
            2e-5 * scale + 1e-8,
          );
        }
      });
    });
  }
});
