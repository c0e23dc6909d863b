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

describe("buildVjpModel", () => {
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
