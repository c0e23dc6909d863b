import { describe, expect, it } from "vitest";
import { evaluateModel } from "../onnx/evaluate";
import { buildModel, constantTensor } from "./builder";
import { InvalidVjpRequestError, UnsupportedOpError } from "./errors";
import { attr } from "./ir";
import { decodeModel, encodeModel } from "./proto";
import { TOLERANCE, gradCheck, randomTensor } from "./testing/gradcheck";
import { buildVjpIr, buildVjpModel, cotangentInputName, gradientOutputName } from "./vjp";

/** x [batch, 4] → Linear(4→6) → Sin/Cos embedding → reshape via a Shape chain → Softmax. */
function embeddingModel() {
  return buildModel({
    inputs: [{ name: "x", type: "float64", dims: ["batch", 4] }],
    outputs: [{ name: "y", type: "float64" }],
    initializers: [
      constantTensor(
        "w",
        "float64",
        [4, 6],
        Array.from({ length: 24 }, (_, i) => Math.sin(i + 1) * 0.5),
      ),
      constantTensor("freq", "float64", [6], [1, 0.5, 0.25, 2, 3, 0.1]),
      constantTensor("zero", "int64", [1], [0]),
      constantTensor("two", "int64", [1], [2]),
      constantTensor("minus1", "int64", [1], [-1]),
    ],
    nodes: [
      { opType: "MatMul", inputs: ["x", "w"], outputs: ["h"] },
      { opType: "Mul", inputs: ["h", "freq"], outputs: ["hf"] },
      { opType: "Sin", inputs: ["hf"], outputs: ["s"] },
      { opType: "Cos", inputs: ["hf"], outputs: ["c"] },
      { opType: "Concat", inputs: ["s", "c"], outputs: ["sc"], attributes: [attr.int("axis", 1)] },
      // Shape subgraph: new shape = [batch, 2, -1], computed at run time.
      { opType: "Shape", inputs: ["sc"], outputs: ["shape"] },
      {
        opType: "Gather",
        inputs: ["shape", "zero"],
        outputs: ["batchDim"],
        attributes: [attr.int("axis", 0)],
      },
      {
        opType: "Concat",
        inputs: ["batchDim", "two", "minus1"],
        outputs: ["target"],
        attributes: [attr.int("axis", 0)],
      },
      { opType: "Reshape", inputs: ["sc", "target"], outputs: ["r"] },
      { opType: "Softmax", inputs: ["r"], outputs: ["y"], attributes: [attr.int("axis", -1)] },
    ],
  });
}

/**
 * An SD-shaped block with dynamic batch, height and width: strided Conv, two nearest
 * up-sampled branches multiplied (same derived size), then tokens [N, h·w, C] built through a Shape → Gather → Mul → Concat chain,
 * a projection and a Softmax over tokens.
 */
function dynamicBlockModel() {
  const conv = Array.from({ length: 4 * 4 * 9 }, (_, i) => Math.cos(i * 0.7) * 0.3);
  const proj = Array.from({ length: 4 * 4 }, (_, i) => Math.sin(i * 1.3) * 0.5);
  return buildModel({
    inputs: [{ name: "x", type: "float32", dims: ["n", 4, "h", "w"] }],
    outputs: [{ name: "y", type: "float32" }],
    initializers: [
      constantTensor("w", "float32", [4, 4, 3, 3], conv),
      constantTensor("scales", "float32", [4], [1, 1, 2, 2]),
      constantTensor("p", "float32", [4, 4], proj),
      constantTensor("i0", "int64", [1], [0]),
      constantTensor("i1", "int64", [1], [1]),
      constantTensor("i2", "int64", [1], [2]),
      constantTensor("i3", "int64", [1], [3]),
    ],
    nodes: [
      {
        opType: "Conv",
        inputs: ["x", "w"],
        outputs: ["c"],
        attributes: [attr.ints("pads", [1, 1, 1, 1]), attr.ints("strides", [2, 2])],
      },
      { opType: "Relu", inputs: ["c"], outputs: ["r"] },
      {
        opType: "Resize",
        inputs: ["r", "", "scales"],
        outputs: ["u"],
        attributes: [
          attr.string("mode", "nearest"),
          attr.string("coordinate_transformation_mode", "asymmetric"),
          attr.string("nearest_mode", "floor"),
        ],
      },
      { opType: "Sigmoid", inputs: ["c"], outputs: ["g"] },
      {
        opType: "Resize",
        inputs: ["g", "", "scales"],
        outputs: ["ug"],
        attributes: [
          attr.string("mode", "nearest"),
          attr.string("coordinate_transformation_mode", "asymmetric"),
          attr.string("nearest_mode", "floor"),
        ],
      },
      { opType: "Mul", inputs: ["u", "ug"], outputs: ["s"] },
      { opType: "Shape", inputs: ["s"], outputs: ["shape"] },
      { opType: "Gather", inputs: ["shape", "i0"], outputs: ["dn"], attributes: [attr.int("axis", 0)] },
      { opType: "Gather", inputs: ["shape", "i1"], outputs: ["dc"], attributes: [attr.int("axis", 0)] },
      { opType: "Gather", inputs: ["shape", "i2"], outputs: ["dh"], attributes: [attr.int("axis", 0)] },
      { opType: "Gather", inputs: ["shape", "i3"], outputs: ["dw"], attributes: [attr.int("axis", 0)] },
      { opType: "Mul", inputs: ["dh", "dw"], outputs: ["hw"] },
      {
        opType: "Concat",
        inputs: ["dn", "dc", "hw"],
        outputs: ["target"],
        attributes: [attr.int("axis", 0)],
      },
      { opType: "Reshape", inputs: ["s", "target"], outputs: ["flat"] },
      {
        opType: "Transpose",
        inputs: ["flat"],
        outputs: ["tokens"],
        attributes: [attr.ints("perm", [0, 2, 1])],
      },
      { opType: "MatMul", inputs: ["tokens", "p"], outputs: ["q"] },
      { opType: "Add", inputs: ["q", "tokens"], outputs: ["qt"] },
      { opType: "Softmax", inputs: ["qt"], outputs: ["y"], attributes: [attr.int("axis", 1)] },
    ],
  });
}

describe("buildVjpModel", () => {
  it("differentiates an SD-shaped block with dynamic batch/height/width, no run-time un-broadcasting", async () => {
    const model = dynamicBlockModel();
    const vjp = buildVjpIr(model, { wrt: ["x"], of: "y" });
    // Symbolic dims (h, w, derived (h-1)/2+1 …, h·w) let every un-broadcast be decided at build time.
    expect(vjp.graph.nodes.filter((n) => n.opType === "NonZero")).toEqual([]);
    for (const [h, w] of [
      [6, 8],
      [10, 4],
    ]) {
      const results = await gradCheck({
        model,
        wrt: ["x"],
        feeds: { x: randomTensor(h! + w!, [2, 4, h!, w!], "float32", (v) => v + 0.05) },
        h: 1e-3,
        rtol: 1e-2,
        atol: 1e-4,
        direction: "gradient",
      });
      for (const r of results)
        expect(r.error, `${h}x${w}: ${r.analytic} vs ${r.numeric}`).toBeLessThanOrEqual(r.tolerance);
    }
  });

  it("differentiates a Sin/Cos embedding with a run-time Shape → Gather → Concat → Reshape chain", async () => {
    const results = await gradCheck({
      model: embeddingModel(),
      wrt: ["x"],
      feeds: { x: randomTensor(5, [3, 4], "float64") },
      ...TOLERANCE.float64,
    });
    for (const r of results)
      expect(r.error, `${r.analytic} vs ${r.numeric}`).toBeLessThanOrEqual(r.tolerance);
  });

  it("has the forward inputs plus the cotangent as inputs, the gradients as outputs, shared initializers", () => {
    const forward = embeddingModel();
    const vjp = buildVjpIr(forward, { wrt: ["x"], of: "y", exposeForward: true });
    expect(vjp.graph.inputs.map((i) => i.name)).toEqual(["x", cotangentInputName("y")]);
    expect(vjp.graph.outputs.map((o) => o.name)).toEqual([gradientOutputName("x"), "y"]);
    // Each initializer once, and the very same objects as in the forward model (not copies).
    const names = vjp.graph.initializers.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    for (const t of vjp.graph.initializers) expect(forward.graph.initializers).toContain(t);
    // The forward computation is inside the VJP model (checkpointing): the MatMul is kept.
    expect(vjp.graph.nodes.some((n) => n.opType === "MatMul" && n.outputs[0] === "h")).toBe(true);
  });

  it("returns the forward output when asked, equal to the forward model's", async () => {
    const forward = embeddingModel();
    const x = randomTensor(8, [2, 4], "float64");
    const y = (await evaluateModel(encodeModel(forward), { x })).y!;
    const bytes = encodeModel(
      buildVjpModel(encodeModel(forward), { wrt: ["x"], of: "y", exposeForward: true }),
    );
    const out = await evaluateModel(bytes, {
      x,
      [cotangentInputName("y")]: randomTensor(9, y.dims, "float64"),
    });
    expect(Array.from(out.y!.data as Float64Array)).toEqual(Array.from(y.data as Float64Array));
    // Round trip through bytes keeps a loadable model.
    expect(decodeModel(bytes).graph.outputs).toHaveLength(2);
  });

  it("gives zeros for an input that does not reach the output", async () => {
    const model = buildModel({
      inputs: [
        { name: "a", type: "float64", dims: [2] },
        { name: "b", type: "float64", dims: [2] },
      ],
      outputs: [
        { name: "y", type: "float64" },
        { name: "z", type: "float64" },
      ],
      nodes: [
        { opType: "Exp", inputs: ["a"], outputs: ["y"] },
        { opType: "Neg", inputs: ["b"], outputs: ["z"] },
      ],
    });
    const bytes = encodeModel(buildVjpModel(model, { wrt: ["a", "b"], of: "y" }));
    const out = await evaluateModel(bytes, {
      a: { type: "float64", dims: [2], data: [0, 1] },
      b: { type: "float64", dims: [2], data: [3, 4] },
      [cotangentInputName("y")]: { type: "float64", dims: [2], data: [1, 1] },
    });
    expect(Array.from(out[gradientOutputName("b")]!.data as Float64Array)).toEqual([0, 0]);
    const da = Array.from(out[gradientOutputName("a")]!.data as Float64Array);
    expect(da[0]).toBe(1);
    expect(da[1]).toBeCloseTo(Math.E, 12);
  });

  it("refuses an op without a rule, naming the op, the node and the path from the input, before running", () => {
    const model = buildModel({
      inputs: [{ name: "x", type: "float32", dims: [2, 3] }],
      outputs: [{ name: "y", type: "float32" }],
      nodes: [
        { opType: "Relu", name: "act", inputs: ["x"], outputs: ["r"] },
        { opType: "Softsign", name: "squash", inputs: ["r"], outputs: ["s"] },
        { opType: "Exp", name: "expo", inputs: ["s"], outputs: ["y"] },
      ],
    });
    let caught: unknown;
    try {
      buildVjpModel(model, { wrt: ["x"], of: "y" });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UnsupportedOpError);
    const error = caught as UnsupportedOpError;
    expect(error.opType).toBe("Softsign");
    expect(error.nodeName).toBe("squash");
    expect(error.path).toEqual(["input 'x'", "Relu node 'act'", "Softsign node 'squash'"]);
    expect(error.message).toContain("input 'x' -> Relu node 'act' -> Softsign node 'squash'");
  });

  it("ignores ops without a rule that are off the differentiable path", () => {
    const model = buildModel({
      inputs: [
        { name: "x", type: "float32", dims: [2] },
        { name: "k", type: "float32", dims: [2] },
      ],
      outputs: [{ name: "y", type: "float32" }],
      nodes: [
        { opType: "Softsign", inputs: ["k"], outputs: ["ks"] },
        { opType: "Mul", inputs: ["x", "ks"], outputs: ["y"] },
      ],
    });
    expect(() => buildVjpModel(model, { wrt: ["x"], of: "y" })).not.toThrow();
  });

  it("validates the request", () => {
    const model = embeddingModel();
    expect(() => buildVjpModel(model, { wrt: ["nope"], of: "y" })).toThrow(InvalidVjpRequestError);
    expect(() => buildVjpModel(model, { wrt: ["x"], of: "nope" })).toThrow(/not a graph output/);
    expect(() => buildVjpModel(model, { wrt: ["w"], of: "y" })).toThrow(/not a graph input/);
    expect(() =>
      buildVjpModel({ ...model, opsetImports: [{ domain: "", version: 9 }] }, { wrt: ["x"], of: "y" }),
    ).toThrow(/opset >= 11/);
  });
});
