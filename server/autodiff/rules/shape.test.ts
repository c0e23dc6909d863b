import { describe, expect, it } from "vitest";
import { constantTensor } from "../builder";
import { attr } from "../ir";
import type { OpCase } from "../testing/gradcheck";
import { checkOp } from "../testing/gradcheck";

const ints = (name: string, values: number[]) => constantTensor(name, "int64", [values.length], values);
const scalarInt = (name: string, value: number) => constantTensor(name, "int64", [], [value]);
const awayFromBounds = (v: number) => (Math.abs(Math.abs(v) - 0.5) < 0.05 ? v + 0.2 : v);

const CASES: Array<[string, OpCase]> = [
  [
    "Reshape with 0 and -1",
    { op: "Reshape", type: "float64", inputs: [{ name: "x", dims: [2, 3, 4] }, ints("s", [0, -1])] },
  ],
  [
    "Reshape dynamic batch",
    {
      op: "Reshape",
      type: "float64",
      inputs: [{ name: "x", dims: [2, 6], symbolic: ["n", 6] }, ints("s", [-1, 2, 3])],
    },
  ],
  [
    "Flatten axis 2",
    {
      op: "Flatten",
      type: "float64",
      inputs: [{ name: "x", dims: [2, 3, 4, 2] }],
      attributes: [attr.int("axis", 2)],
    },
  ],
  [
    "Transpose perm",
    {
      op: "Transpose",
      type: "float64",
      inputs: [{ name: "x", dims: [2, 3, 4] }],
      attributes: [attr.ints("perm", [2, 0, 1])],
    },
  ],
  [
    "Transpose default (reverse)",
    { op: "Transpose", type: "float64", inputs: [{ name: "x", dims: [2, 3, 4] }] },
  ],
  [
    "Squeeze opset 13 (axes input)",
    { op: "Squeeze", type: "float64", inputs: [{ name: "x", dims: [2, 1, 3] }, ints("a", [1])] },
  ],
  [
    "Squeeze opset 11 (axes attribute)",
    {
      op: "Squeeze",
      type: "float64",
      opset: 11,
      inputs: [{ name: "x", dims: [2, 1, 3, 1] }],
      attributes: [attr.ints("axes", [1, 3])],
    },
  ],
  [
    "Unsqueeze opset 13",
    { op: "Unsqueeze", type: "float64", inputs: [{ name: "x", dims: [2, 3] }, ints("a", [0, -1])] },
  ],
  [
    "Unsqueeze opset 11",
    {
      op: "Unsqueeze",
      type: "float64",
      opset: 11,
      inputs: [{ name: "x", dims: [2, 3] }],
      attributes: [attr.ints("axes", [1])],
    },
  ],
  [
    "Concat three on axis 1",
    {
      op: "Concat",
      type: "float64",
      inputs: [
        { name: "a", dims: [2, 1, 3] },
        { name: "b", dims: [2, 4, 3] },
        { name: "c", dims: [2, 2, 3] },
      ],
      attributes: [attr.int("axis", 1)],
    },
  ],
  [
    "Concat negative axis, dynamic sizes",
    {
      op: "Concat",
      type: "float64",
      inputs: [
        { name: "a", dims: [2, 3], symbolic: ["n", "p"] },
        { name: "b", dims: [2, 2], symbolic: ["n", "q"] },
      ],
      attributes: [attr.int("axis", -1)],
    },
  ],
  [
    "Split opset 13 with sizes, both outputs used via Concat order",
    {
      op: "Split",
      type: "float64",
      inputs: [{ name: "x", dims: [5, 2] }, ints("split", [2, 3])],
      outputs: [
        { name: "y0", type: "float64" },
        { name: "y1", type: "float64" },
      ],
      of: "y1",
    },
  ],
  [
    "Split even into three, first output only",
    {
      op: "Split",
      type: "float64",
      inputs: [{ name: "x", dims: [2, 6] }],
      attributes: [attr.int("axis", 1)],
      outputs: [
        { name: "y0", type: "float64" },
        { name: "y1", type: "float64" },
        { name: "y2", type: "float64" },
      ],
      of: "y0",
    },
  ],
  [
    "Slice static unit steps",
    {
      op: "Slice",
      type: "float64",
      inputs: [{ name: "x", dims: [4, 5] }, ints("s", [1, 0]), ints("e", [3, -1]), ints("a", [0, 1])],
    },
  ],
  [
    "Slice negative step and INT64_MAX end",
    {
      op: "Slice",
      type: "float64",
      inputs: [
        { name: "x", dims: [4, 6] },
        ints("s", [-1, 1]),
        ints("e", [-5, 2 ** 62]),
        ints("a", [0, 1]),
        ints("st", [-2, 2]),
      ],
    },
  ],
  [
    "Slice dynamic batch",
    {
      op: "Slice",
      type: "float64",
      inputs: [
        { name: "x", dims: [3, 6], symbolic: ["n", 6] },
        ints("s", [2]),
        ints("e", [5]),
        ints("a", [1]),
      ],
    },
  ],
  [
    "Gather rows with repeats",
    { op: "Gather", type: "float64", inputs: [{ name: "x", dims: [4, 3] }, ints("i", [0, 2, 2, 3])] },
  ],
  [
    "Gather axis 1 with 2-D indices",
    {
      op: "Gather",
      type: "float64",
      inputs: [{ name: "x", dims: [2, 5, 3] }, constantTensor("i", "int64", [2, 2], [4, 0, 1, 4])],
      attributes: [attr.int("axis", 1)],
    },
  ],
  [
    "Gather scalar index (take a token)",
    {
      op: "Gather",
      type: "float64",
      inputs: [{ name: "x", dims: [2, 5, 3] }, scalarInt("i", -1)],
      attributes: [attr.int("axis", 1)],
    },
  ],
  [
    "GatherElements",
    {
      op: "GatherElements",
      type: "float64",
      inputs: [{ name: "x", dims: [3, 4] }, constantTensor("i", "int64", [2, 4], [0, 1, 2, 0, 2, 2, 1, 0])],
    },
  ],
  ["Expand", { op: "Expand", type: "float64", inputs: [{ name: "x", dims: [3, 1] }, ints("s", [2, 3, 4])] }],
  [
    "Tile-like Expand with ones",
    { op: "Expand", type: "float64", inputs: [{ name: "x", dims: [1, 4] }, ints("s", [3, 1])] },
  ],
  [
    "Cast float64 -> float32 -> (output)",
    {
      op: "Cast",
      type: "float64",
      inputs: [{ name: "x", dims: [2, 3] }],
      attributes: [attr.int("to", 1)],
      outputs: [{ name: "y", type: "float32" }],
      tolerance: { h: 1e-2, rtol: 1e-4, atol: 1e-5 },
    },
  ],
  [
    "Pad constant static",
    {
      op: "Pad",
      type: "float64",
      inputs: [{ name: "x", dims: [2, 3] }, ints("p", [1, 0, 2, 3])],
    },
  ],
  [
    "Pad constant with axes (opset 18)",
    {
      op: "Pad",
      type: "float64",
      opset: 18,
      inputs: [{ name: "x", dims: [2, 3, 4] }, ints("p", [1, 2, 0, 1]), "", ints("a", [0, 2])],
    },
  ],
  [
    "Pad reflect",
    {
      op: "Pad",
      type: "float64",
      inputs: [{ name: "x", dims: [1, 4, 5] }, ints("p", [0, 1, 2, 0, 2, 1])],
      attributes: [attr.string("mode", "reflect")],
    },
  ],
  [
    "Pad edge",
    {
      op: "Pad",
      type: "float64",
      inputs: [{ name: "x", dims: [3, 4] }, ints("p", [1, 2, 2, 1])],
      attributes: [attr.string("mode", "edge")],
    },
  ],
  [
    "Clip with min and max inputs",
    {
      op: "Clip",
      type: "float64",
      inputs: [
        { name: "x", dims: [3, 4], map: awayFromBounds },
        constantTensor("lo", "float64", [], [-0.5]),
        constantTensor("hi", "float64", [], [0.5]),
      ],
    },
  ],
  [
    "Clip min only",
    {
      op: "Clip",
      type: "float64",
      inputs: [{ name: "x", dims: [3, 4], map: awayFromBounds }, constantTensor("lo", "float64", [], [-0.5])],
    },
  ],
  [
    "Clip opset 11 with max only (float32: no double kernel at 11)",
    {
      op: "Clip",
      type: "float32",
      opset: 11,
      inputs: [
        { name: "x", dims: [3, 4], map: awayFromBounds },
        "",
        constantTensor("hi", "float32", [], [0.5]),
      ],
    },
  ],
  [
    "ReduceSum axes input, keepdims 0",
    {
      op: "ReduceSum",
      type: "float64",
      inputs: [{ name: "x", dims: [2, 3, 4] }, ints("a", [1])],
      attributes: [attr.int("keepdims", 0)],
    },
  ],
  ["ReduceSum all axes", { op: "ReduceSum", type: "float64", inputs: [{ name: "x", dims: [2, 3] }] }],
  [
    "ReduceMean attribute axes (opset 17), keepdims",
    {
      op: "ReduceMean",
      type: "float64",
      inputs: [{ name: "x", dims: [2, 3, 4] }],
      attributes: [attr.ints("axes", [-1, 1])],
    },
  ],
  [
    "ReduceMean axes input (opset 18), dynamic dims",
    {
      op: "ReduceMean",
      type: "float64",
      opset: 18,
      inputs: [{ name: "x", dims: [2, 3, 4], symbolic: ["n", "c", "w"] }, ints("a", [2])],
      attributes: [attr.int("keepdims", 0)],
    },
  ],
  [
    "ReduceSum opset 11 attribute axes",
    {
      op: "ReduceSum",
      type: "float64",
      opset: 11,
      inputs: [{ name: "x", dims: [2, 3, 4] }],
      attributes: [attr.ints("axes", [0, 2]), attr.int("keepdims", 0)],
    },
  ],
  [
    "ScatterND data and updates",
    {
      op: "ScatterND",
      type: "float64",
      inputs: [
        { name: "x", dims: [4, 3] },
        constantTensor("i", "int64", [2, 1], [1, 3]),
        { name: "u", dims: [2, 3] },
      ],
    },
  ],
  [
    "ScatterElements data and updates",
    {
      op: "ScatterElements",
      type: "float64",
      inputs: [
        { name: "x", dims: [3, 3] },
        constantTensor("i", "int64", [1, 3], [2, 0, 1]),
        { name: "u", dims: [1, 3] },
      ],
    },
  ],
  ["Tile", { op: "Tile", type: "float64", inputs: [{ name: "x", dims: [2, 3] }, ints("r", [2, 3])] }],
  [
    "DepthToSpace",
    {
      op: "DepthToSpace",
      type: "float64",
      inputs: [{ name: "x", dims: [1, 8, 2, 3] }],
      attributes: [attr.int("blocksize", 2), attr.string("mode", "CRD")],
    },
  ],
  [
    "SpaceToDepth",
    {
      op: "SpaceToDepth",
      type: "float64",
      inputs: [{ name: "x", dims: [1, 2, 4, 6] }],
      attributes: [attr.int("blocksize", 2)],
    },
  ],
  [
    "GatherND with a repeated index",
    {
      op: "GatherND",
      type: "float64",
      inputs: [{ name: "x", dims: [3, 4] }, constantTensor("i", "int64", [3, 1], [2, 0, 2])],
    },
  ],
  [
    "Trilu lower with k = -1",
    {
      op: "Trilu",
      type: "float64",
      inputs: [{ name: "x", dims: [2, 4, 4] }, scalarInt("k", -1)],
      attributes: [attr.int("upper", 0)],
    },
  ],
  [
    "ReduceL2 (CLIP-embedding normalization)",
    {
      op: "ReduceL2",
      type: "float64",
      inputs: [{ name: "x", dims: [2, 5] }],
      attributes: [attr.ints("axes", [-1]), attr.int("keepdims", 1)],
    },
  ],
  [
    "ReduceSumSquare keepdims 0",
    {
      op: "ReduceSumSquare",
      type: "float64",
      inputs: [{ name: "x", dims: [2, 3, 4] }],
      attributes: [attr.ints("axes", [1]), attr.int("keepdims", 0)],
    },
  ],
  [
    "ReduceLogSumExp",
    {
      op: "ReduceLogSumExp",
      type: "float64",
      inputs: [{ name: "x", dims: [2, 5] }],
      attributes: [attr.ints("axes", [1]), attr.int("keepdims", 0)],
    },
  ],
  [
    "ReduceMax keepdims 0",
    {
      op: "ReduceMax",
      type: "float64",
      inputs: [{ name: "x", dims: [3, 4] }],
      attributes: [attr.ints("axes", [1]), attr.int("keepdims", 0)],
    },
  ],
  ["ReduceMin all axes", { op: "ReduceMin", type: "float64", inputs: [{ name: "x", dims: [3, 4] }] }],
  [
    "PRelu with per-channel slope",
    {
      op: "PRelu",
      type: "float64",
      inputs: [
        { name: "x", dims: [2, 3, 4], map: (v) => (Math.abs(v) < 0.1 ? v + 0.3 : v) },
        { name: "slope", dims: [3, 1] },
      ],
    },
  ],
];

describe("shape, indexing and reduction VJP rules against central differences", () => {
  for (const [label, c] of CASES) {
    it(label, async () => {
      const results = await checkOp(c);
      for (const r of results)
        expect(r.error, `${r.name}: ${r.analytic} vs ${r.numeric}`).toBeLessThanOrEqual(r.tolerance);
    });
  }
});
