// Regression tests for the autodiff defects of issue 15 (no silent zero gradient; op forms).
import { describe, expect, it } from "vitest";
import { evaluateModel } from "../../onnx/evaluate";
import { constantTensor, singleOpModel } from "../builder";
import { UnsupportedOpFormError } from "../errors";
import { attr } from "../ir";
import { encodeModel } from "../proto";
import type { OpCase } from "../testing/gradcheck";
import { checkOp } from "../testing/gradcheck";
import { buildVjpIr, buildVjpModel, cotangentInputName, gradientOutputName } from "../vjp";

// x stays away from the bounds (±0.5 ± a little), so central differences do not straddle a kink.
const awayFromBounds = (v: number) => (Math.abs(Math.abs(v) - 0.5) < 0.3 ? Math.sign(v) * 1.1 : v);
const lowBound = (v: number) => -0.5 + 0.05 * Math.tanh(v);
const highBound = (v: number) => 0.5 + 0.05 * Math.tanh(v);

async function expectMatches(c: OpCase): Promise<void> {
  const results = await checkOp(c);
  expect(results.length).toBeGreaterThan(0);
  for (const r of results)
    expect(r.error, `${r.name}: ${r.analytic} vs ${r.numeric}`).toBeLessThanOrEqual(r.tolerance);
}

describe("Clip: gradients w.r.t. the bounds are computed", () => {
  it("min and max as graph inputs", async () => {
    await expectMatches({
      op: "Clip",
      type: "float64",
      inputs: [
        { name: "x", dims: [4, 5], map: awayFromBounds },
        { name: "lo", dims: [], map: lowBound },
        { name: "hi", dims: [], map: highBound },
      ],
    });
  });
  it("min > max (the output is max everywhere)", async () => {
    await expectMatches({
      op: "Clip",
      type: "float64",
      inputs: [
        { name: "x", dims: [4, 5], map: awayFromBounds },
        { name: "lo", dims: [], map: highBound },
        { name: "hi", dims: [], map: lowBound },
      ],
    });
  });
  it("only the bounds (x constant), opset 11", async () => {
    await expectMatches({
      op: "Clip",
      type: "float32",
      opset: 11,
      inputs: [
        constantTensor("x", "float32", [6], [-2, -1, -0.1, 0.2, 1.5, 3]),
        { name: "lo", dims: [], map: lowBound },
        { name: "hi", dims: [], map: highBound },
      ],
    });
  });
});

describe("BatchNormalization (inference): gradients w.r.t. mean and var are computed", () => {
  it("every input, NCHW", async () => {
    await expectMatches({
      op: "BatchNormalization",
      type: "float64",
      inputs: [
        { name: "x", dims: [2, 3, 4, 4] },
        { name: "s", dims: [3] },
        { name: "b", dims: [3] },
        { name: "mean", dims: [3] },
        { name: "var", dims: [3], map: (v) => 0.5 + Math.abs(v) },
      ],
    });
  });
  it("only mean and var, rank 3", async () => {
    await expectMatches({
      op: "BatchNormalization",
      type: "float64",
      inputs: [
        constantTensor("x", "float64", [1, 2, 3], [0.3, -1, 2, 0.5, 1.5, -0.7]),
        constantTensor("s", "float64", [2], [1.5, -0.8]),
        constantTensor("b", "float64", [2], [0.1, 0.2]),
        { name: "mean", dims: [2] },
        { name: "var", dims: [2], map: (v) => 0.5 + Math.abs(v) },
      ],
    });
  });
});

describe("Dropout: training mode is refused, inference mode is the identity", () => {
  const dropoutModel = (mode: ReturnType<typeof constantTensor> | { name: string; type: "bool"; dims: [] }) =>
    singleOpModel({
      op: "Dropout",
      inputs: [{ name: "x", type: "float32", dims: [2, 3] }, constantTensor("r", "float32", [], [0.3]), mode],
    });
  it("training_mode constant true: named error", () => {
    const model = dropoutModel(constantTensor("t", "bool", [], [1]));
    expect(() => buildVjpIr(model, { wrt: ["x"], of: "y" })).toThrow(UnsupportedOpFormError);
    expect(() => buildVjpIr(model, { wrt: ["x"], of: "y" })).toThrow(/Dropout.*training_mode is true/);
  });
  it("training_mode given at run time: named error", () => {
    const model = dropoutModel({ name: "t", type: "bool", dims: [] });
    expect(() => buildVjpIr(model, { wrt: ["x"], of: "y" })).toThrow(/training_mode 't' is not a constant/);
  });
  it("training_mode constant false: identity", async () => {
    await expectMatches({
      op: "Dropout",
      type: "float64",
      inputs: [
        { name: "x", dims: [2, 3] },
        constantTensor("r", "float64", [], [0.3]),
        constantTensor("t", "bool", [], [0]),
      ],
    });
  });
});

describe("OneHot: the gradient w.r.t. values (off, on) is computed", () => {
  it("values as a graph input, negative index, axis 0", async () => {
    await expectMatches({
      op: "OneHot",
      type: "float32",
      inputs: [
        constantTensor("i", "int64", [2, 2], [0, 2, -1, 1]),
        constantTensor("d", "int64", [], [4]),
        { name: "v", dims: [2] },
      ],
      attributes: [attr.int("axis", 0)],
    });
  });
});

describe("Reshape with allowzero to a shape containing 0 (empty tensor)", () => {
  for (const dims of [
    [0, 4],
    ["n", 4],
  ] as const) {
    it(`x of shape [${dims.join(", ")}] to [4, 0]: the VJP runs and returns an empty [0, 4] gradient`, async () => {
      const model = singleOpModel({
        op: "Reshape",
        opset: 14,
        inputs: [{ name: "x", type: "float32", dims: [...dims] }, constantTensor("s", "int64", [2], [4, 0])],
        attributes: [attr.int("allowzero", 1)],
      });
      const vjp = encodeModel(buildVjpModel(model, { wrt: ["x"], of: "y" }));
      const out = await evaluateModel(vjp, {
        x: { type: "float32", dims: [0, 4], data: new Float32Array(0) },
        [cotangentInputName("y")]: { type: "float32", dims: [4, 0], data: new Float32Array(0) },
      });
      expect(out[gradientOutputName("x")]!.dims).toEqual([0, 4]);
    });
  }
});

describe("Resize at opset 11: the VJP uses the opset-11 input form (roi and scales required)", () => {
  const roi = constantTensor("roi", "float32", [0], []);
  const noScales = constantTensor("noscales", "float32", [0], []);
  const cases: Array<[string, OpCase]> = [
    [
      "linear x2 half_pixel (scales)",
      {
        op: "Resize",
        type: "float32",
        opset: 11,
        inputs: [
          { name: "x", dims: [1, 2, 3, 4] },
          roi,
          constantTensor("scales", "float32", [4], [1, 1, 2, 2]),
        ],
        attributes: [attr.string("mode", "linear")],
      },
    ],
    [
      "linear align_corners to sizes",
      {
        op: "Resize",
        type: "float32",
        opset: 11,
        inputs: [
          { name: "x", dims: [1, 2, 3, 4] },
          roi,
          noScales,
          constantTensor("sizes", "int64", [4], [1, 2, 5, 7]),
        ],
        attributes: [
          attr.string("mode", "linear"),
          attr.string("coordinate_transformation_mode", "align_corners"),
        ],
      },
    ],
    [
      "nearest to sizes (matrix path)",
      {
        op: "Resize",
        type: "float32",
        opset: 11,
        inputs: [
          { name: "x", dims: [1, 2, 4, 3] },
          roi,
          noScales,
          constantTensor("sizes", "int64", [4], [1, 2, 6, 7]),
        ],
        attributes: [attr.string("mode", "nearest")],
      },
    ],
    [
      "nearest x2 asymmetric floor (block path)",
      {
        op: "Resize",
        type: "float32",
        opset: 11,
        inputs: [
          { name: "x", dims: [1, 2, 3, 3] },
          roi,
          constantTensor("scales", "float32", [4], [1, 1, 2, 2]),
        ],
        attributes: [
          attr.string("mode", "nearest"),
          attr.string("coordinate_transformation_mode", "asymmetric"),
          attr.string("nearest_mode", "floor"),
        ],
      },
    ],
  ];
  for (const [label, c] of cases) it(label, async () => expectMatches(c));
});
