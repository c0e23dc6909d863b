/**
 * The store-mode split of a VJP model: which tensors are kept, both parts valid in ONNX Runtime, and
 * (b)∘(a) equal to the VJP model on small graphs and on the bundled UNet (the tiny SD-1.5 UNet, with
 * external weights, through the cache: split-cache.test.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { HostTensor } from "../onnx/evaluate";
import { evaluateModel } from "../onnx/evaluate";
import { buildModel, constantTensor } from "./builder";
import { attr, DataType, type Model } from "./ir";
import { decodeModel, encodeModel } from "./proto";
import { PACKED_INTEGERS, splitVjpIr } from "./split";
import { randomTensor } from "./testing/gradcheck";
import { buildVjpModel, cotangentInputName, gradientOutputName } from "./vjp";

async function compareWithVjp(
  model: Model,
  wrt: string[],
  of: string,
  feeds: Record<string, HostTensor>,
  cotangent: HostTensor,
): Promise<{ worst: number; scale: number; residualBytes: number }> {
  const vjp = await evaluateModel(encodeModel(buildVjpModel(model, { wrt, of })), {
    ...feeds,
    [cotangentInputName(of)]: cotangent,
  });
  const split = splitVjpIr(model, { wrt, of });
  const forwardOut = await evaluateModel(encodeModel(split.forward), feeds);
  const plain = await evaluateModel(encodeModel(model), feeds, [of]);
  // (a)'s output is the forward's own.
  const a = forwardOut[of]!.data as Float32Array;
  const p = plain[of]!.data as Float32Array;
  for (let i = 0; i < p.length; i++)
    expect(Math.abs(a[i]! - p[i]!)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(p[i]!)));
  const backwardFeeds: Record<string, HostTensor> = { [cotangentInputName(of)]: cotangent };
  for (const name of split.backwardForwardInputs) backwardFeeds[name] = feeds[name]!;
  let residualBytes = 0;
  for (const r of split.residuals) {
    const t = forwardOut[r.name];
    expect(t, `(a) returns residual ${r.name}`).toBeDefined();
    backwardFeeds[r.name] = t!;
    residualBytes += (t!.data as { byteLength: number }).byteLength;
  }
  const backward = await evaluateModel(encodeModel(split.backward), backwardFeeds);
  let worst = 0;
  let scale = 0;
  for (const name of wrt) {
    const expected = vjp[gradientOutputName(name)]!.data as Float32Array;
    const got = backward[gradientOutputName(name)]!.data as Float32Array;
    expect(got.length).toBe(expected.length);
    for (let i = 0; i < got.length; i++) {
      worst = Math.max(worst, Math.abs(got[i]! - expected[i]!));
      scale = Math.max(scale, Math.abs(expected[i]!));
    }
  }
  return { worst, scale, residualBytes };
}

const f32 = (seed: number, dims: number[]): HostTensor => randomTensor(seed, dims, "float32");

describe("splitVjpIr on small graphs", () => {
  it("keeps activations, not weights: a two-layer MLP stores only the hidden layer", async () => {
    const model = buildModel({
      inputs: [{ name: "x", type: "float32", dims: ["n", 3] }],
      outputs: [{ name: "y", type: "float32" }],
      initializers: [
        constantTensor(
          "w1",
          "float32",
          [3, 5],
          Array.from({ length: 15 }, (_, i) => Math.sin(i)),
        ),
        constantTensor(
          "w2",
          "float32",
          [5, 2],
          Array.from({ length: 10 }, (_, i) => Math.cos(i)),
        ),
      ],
      nodes: [
        { opType: "MatMul", inputs: ["x", "w1"], outputs: ["h"] },
        { opType: "Tanh", inputs: ["h"], outputs: ["a"] },
        { opType: "MatMul", inputs: ["a", "w2"], outputs: ["y"] },
      ],
    });
    const split = splitVjpIr(model, { wrt: ["x"], of: "y" });
    // Tanh's gradient needs its output (or input); the weights' transposes are recomputed, never stored.
    expect(split.residuals.map((r) => r.name)).toHaveLength(1);
    expect(["h", "a"]).toContain(split.residuals[0]!.name);
    expect(split.residuals[0]!.elemType).toBe(DataType.FLOAT);
    expect(split.backward.graph.inputs.map((i) => i.name)).not.toContain("x");
    const { worst, scale } = await compareWithVjp(model, ["x"], "y", { x: f32(1, [4, 3]) }, f32(2, [4, 2]));
    expect(scale).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(1e-6 * scale);
  });

  it("does not store a reshaped copy of a stored tensor", async () => {
    const model = buildModel({
      inputs: [{ name: "x", type: "float32", dims: [2, 6] }],
      outputs: [{ name: "y", type: "float32" }],
      initializers: [
        constantTensor("shape", "int64", [2], [3, 4]),
        constantTensor(
          "w1",
          "float32",
          [6, 6],
          Array.from({ length: 36 }, (_, i) => Math.sin(i)),
        ),
        constantTensor(
          "w2",
          "float32",
          [6, 6],
          Array.from({ length: 36 }, (_, i) => Math.cos(i)),
        ),
      ],
      nodes: [
        { opType: "MatMul", inputs: ["x", "w1"], outputs: ["h1"] },
        { opType: "MatMul", inputs: ["x", "w2"], outputs: ["h2"] },
        { opType: "Tanh", inputs: ["h1"], outputs: ["t"] },
        { opType: "Exp", inputs: ["h2"], outputs: ["e"] },
        { opType: "Reshape", inputs: ["t", "shape"], outputs: ["tr"] },
        { opType: "Reshape", inputs: ["e", "shape"], outputs: ["er"] },
        { opType: "Mul", inputs: ["tr", "er"], outputs: ["y"] },
      ],
    });
    const split = splitVjpIr(model, { wrt: ["x"], of: "y" });
    // Mul's gradient reads tr and er, Tanh's t, Exp's e: only t and e are stored (the layers are not redone).
    expect(split.residuals.map((r) => r.name).sort()).toEqual(["e", "t"]);
    const { worst, scale } = await compareWithVjp(model, ["x"], "y", { x: f32(3, [2, 6]) }, f32(4, [3, 4]));
    expect(worst).toBeLessThanOrEqual(1e-6 * scale);
  });

  it("recomputes cheap elementwise chains from what the backward has instead of storing them", () => {
    const model = buildModel({
      inputs: [{ name: "x", type: "float32", dims: [2, 6] }],
      outputs: [{ name: "y", type: "float32" }],
      nodes: [
        { opType: "Tanh", inputs: ["x"], outputs: ["t"] },
        { opType: "Exp", inputs: ["x"], outputs: ["e"] },
        { opType: "Mul", inputs: ["t", "e"], outputs: ["y"] },
      ],
    });
    const split = splitVjpIr(model, { wrt: ["x"], of: "y" });
    expect(split.residuals).toEqual([]);
    expect(split.backwardForwardInputs).toEqual(["x"]);
  });

  it("recomputes attention probabilities from the stored queries and keys", async () => {
    const weight = (name: string, seed: number) =>
      constantTensor(
        name,
        "float32",
        [4, 4],
        Array.from({ length: 16 }, (_, i) => Math.sin(seed * 7 + i)),
      );
    const model = buildModel({
      inputs: [{ name: "x", type: "float32", dims: [5, 4] }],
      outputs: [{ name: "y", type: "float32" }],
      initializers: [weight("wq", 1), weight("wk", 2), weight("wv", 3)],
      nodes: [
        { opType: "MatMul", inputs: ["x", "wq"], outputs: ["q"] },
        { opType: "MatMul", inputs: ["x", "wk"], outputs: ["k"] },
        { opType: "MatMul", inputs: ["x", "wv"], outputs: ["v"] },
        { opType: "Transpose", inputs: ["k"], outputs: ["kt"] },
        { opType: "MatMul", inputs: ["q", "kt"], outputs: ["scores"] },
        { opType: "Softmax", inputs: ["scores"], outputs: ["p"], attributes: [attr.int("axis", -1)] },
        { opType: "MatMul", inputs: ["p", "v"], outputs: ["y"] },
      ],
    });
    const split = splitVjpIr(model, { wrt: ["x"], of: "y" });
    const names = split.residuals.map((r) => r.name);
    expect(names).not.toContain("p");
    expect(names).not.toContain("scores");
    const { worst, scale } = await compareWithVjp(model, ["x"], "y", { x: f32(10, [5, 4]) }, f32(11, [5, 4]));
    expect(worst).toBeLessThanOrEqual(1e-5 * scale);
  });

  it("packs the small integer residuals (shapes for un-broadcasting) into one int64 tensor", async () => {
    const model = buildModel({
      inputs: [{ name: "x", type: "float32", dims: ["n", 3] }],
      outputs: [{ name: "y", type: "float32" }],
      initializers: [
        constantTensor(
          "w",
          "float32",
          [3, 3],
          Array.from({ length: 9 }, (_, i) => Math.sin(i + 1)),
        ),
        constantTensor("axes", "int64", [1], [0]),
      ],
      nodes: [
        { opType: "MatMul", inputs: ["x", "w"], outputs: ["h"] },
        { opType: "ReduceSum", inputs: ["h", "axes"], outputs: ["m"] },
        { opType: "Add", inputs: ["h", "m"], outputs: ["s"] },
        { opType: "Tanh", inputs: ["s"], outputs: ["g"] },
        { opType: "MatMul", inputs: ["g", "w"], outputs: ["h2"] },
        { opType: "ReduceSum", inputs: ["h2", "axes"], outputs: ["m2"] },
        { opType: "Add", inputs: ["h2", "m2"], outputs: ["y"] },
      ],
    });
    const split = splitVjpIr(model, { wrt: ["x"], of: "y" });
    const integers = split.residuals.filter((r) => r.elemType !== DataType.FLOAT);
    expect(integers).toEqual([{ name: PACKED_INTEGERS, elemType: DataType.INT64, rank: 1 }]);
    // (a) concatenates more than one integer tensor into it; (b) slices each back out.
    const concat = split.forward.graph.nodes.find((n) => n.outputs.includes(PACKED_INTEGERS));
    expect(concat?.opType).toBe("Concat");
    expect(concat?.inputs.length).toBeGreaterThan(1);
    expect(split.backward.graph.nodes.filter((n) => n.inputs[0] === PACKED_INTEGERS)).toHaveLength(
      concat?.inputs.length ?? -1,
    );
    const { worst, scale } = await compareWithVjp(model, ["x"], "y", { x: f32(12, [4, 3]) }, f32(13, [4, 3]));
    expect(scale).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(1e-5 * scale);
  });

  it("carries a boolean mask the backward reads as int32 and casts it back", async () => {
    const model = buildModel({
      inputs: [{ name: "x", type: "float32", dims: [8] }],
      outputs: [{ name: "y", type: "float32" }],
      initializers: [constantTensor("zero", "float32", [], [0])],
      nodes: [
        { opType: "Greater", inputs: ["x", "zero"], outputs: ["mask"] },
        { opType: "Mul", inputs: ["x", "x"], outputs: ["sq"] },
        { opType: "Neg", inputs: ["x"], outputs: ["neg"] },
        { opType: "Where", inputs: ["mask", "sq", "neg"], outputs: ["y"] },
      ],
    });
    const split = splitVjpIr(model, { wrt: ["x"], of: "y" });
    const mask = split.residuals.find((r) => r.name.startsWith("mask"));
    expect(mask?.elemType).toBe(DataType.INT32);
    const { worst, scale } = await compareWithVjp(model, ["x"], "y", { x: f32(5, [8]) }, f32(6, [8]));
    expect(scale).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(1e-6 * scale);
  });
});

const BUNDLED_UNET = path.resolve(import.meta.dirname, "../../models/tiny-shapes-sd/unet/model.onnx");

describe.skipIf(!existsSync(BUNDLED_UNET))("splitVjpIr on the bundled UNet", () => {
  it("(b)∘(a) equals the VJP model", async () => {
    const model = decodeModel(readFileSync(BUNDLED_UNET));
    const feeds: Record<string, HostTensor> = {
      sample: f32(7, [2, 4, 8, 8]),
      timestep: { type: "int64", dims: [2], data: [981, 421] },
      encoder_hidden_states: f32(8, [2, 16, 64]),
    };
    const { worst, scale, residualBytes } = await compareWithVjp(
      model,
      ["sample"],
      "out_sample",
      feeds,
      f32(9, [2, 4, 8, 8]),
    );
    expect(scale).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(1e-5 * scale);
    expect(residualBytes).toBeGreaterThan(0);
  }, 120_000);
});
