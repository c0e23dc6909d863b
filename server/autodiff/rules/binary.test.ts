import { describe, expect, it } from "vitest";
import { buildModel, constantTensor } from "../builder";
import type { OpCase } from "../testing/gradcheck";
import { TOLERANCE, checkOp, gradCheck, randomTensor } from "../testing/gradcheck";

const positive = (v: number) => Math.abs(v) + 0.5;

const CASES: Array<[string, OpCase]> = [
  [
    "Add same shape",
    {
      op: "Add",
      type: "float64",
      inputs: [
        { name: "a", dims: [2, 3] },
        { name: "b", dims: [2, 3] },
      ],
    },
  ],
  [
    "Add broadcast bias [3]",
    {
      op: "Add",
      type: "float64",
      inputs: [
        { name: "a", dims: [2, 4, 3] },
        { name: "b", dims: [3] },
      ],
    },
  ],
  [
    "Add broadcast both ways",
    {
      op: "Add",
      type: "float64",
      inputs: [
        { name: "a", dims: [2, 1, 3] },
        { name: "b", dims: [4, 1] },
      ],
    },
  ],
  [
    "Sub broadcast",
    {
      op: "Sub",
      type: "float64",
      inputs: [
        { name: "a", dims: [2, 3, 1] },
        { name: "b", dims: [1, 3, 4] },
      ],
    },
  ],
  [
    "Mul broadcast channel",
    {
      op: "Mul",
      type: "float64",
      inputs: [
        { name: "a", dims: [2, 3, 4, 4] },
        { name: "b", dims: [3, 1, 1] },
      ],
    },
  ],
  [
    "Mul by scalar input",
    {
      op: "Mul",
      type: "float64",
      inputs: [
        { name: "a", dims: [2, 3] },
        { name: "b", dims: [] },
      ],
    },
  ],
  [
    "Div broadcast",
    {
      op: "Div",
      type: "float64",
      inputs: [
        { name: "a", dims: [2, 3] },
        { name: "b", dims: [2, 1], map: positive },
      ],
    },
  ],
  [
    "Pow",
    {
      op: "Pow",
      type: "float64",
      inputs: [
        { name: "a", dims: [2, 3], map: positive },
        { name: "p", dims: [3] },
      ],
    },
  ],
  [
    "Pow by constant 2 (squares in decomposed LayerNorm)",
    {
      op: "Pow",
      type: "float64",
      inputs: [{ name: "a", dims: [2, 3] }, constantTensor("two", "float64", [], [2])],
    },
  ],
  [
    "Pow by constant 0.5 with a float32 exponent",
    {
      op: "Pow",
      type: "float64",
      inputs: [{ name: "a", dims: [2, 3], map: positive }, constantTensor("half", "float32", [1], [0.5])],
    },
  ],
  [
    "Where broadcast",
    {
      op: "Where",
      type: "float64",
      inputs: [
        { name: "c", dataType: 9, dims: [2, 3], rawData: new Uint8Array([1, 0, 1, 1, 0, 0]) },
        { name: "a", dims: [2, 3] },
        { name: "b", dims: [3] },
      ],
    },
  ],
  [
    "Sum of three with broadcasting",
    {
      op: "Sum",
      type: "float64",
      inputs: [
        { name: "a", dims: [2, 3] },
        { name: "b", dims: [3] },
        { name: "c", dims: [2, 1] },
      ],
    },
  ],
  [
    "Max",
    {
      op: "Max",
      type: "float64",
      inputs: [
        { name: "a", dims: [2, 3] },
        { name: "b", dims: [2, 3] },
      ],
    },
  ],
  [
    "Min broadcast",
    {
      op: "Min",
      type: "float64",
      inputs: [
        { name: "a", dims: [2, 3] },
        { name: "b", dims: [3] },
      ],
    },
  ],
  [
    "Mean (float32: no double kernel)",
    {
      op: "Mean",
      type: "float32",
      inputs: [
        { name: "a", dims: [2, 3] },
        { name: "b", dims: [2, 3] },
      ],
    },
  ],
  [
    "Add with dynamic batch (run-time un-broadcast)",
    {
      op: "Add",
      type: "float64",
      inputs: [
        { name: "a", dims: [2, 3], symbolic: ["batch", 3] },
        { name: "b", dims: [1, 3], symbolic: ["one", 3] },
      ],
    },
  ],
  [
    "Mul with unknown dims",
    {
      op: "Mul",
      type: "float64",
      inputs: [
        { name: "a", dims: [2, 3, 4], symbolic: ["n", "c", "w"] },
        { name: "b", dims: [3, 1], symbolic: ["c", "k"] },
      ],
    },
  ],
];

describe("broadcasting binary VJP rules against central differences", () => {
  for (const [label, c] of CASES) {
    it(label, async () => {
      const results = await checkOp(c);
      for (const r of results)
        expect(r.error, `${r.name}: ${r.analytic} vs ${r.numeric}`).toBeLessThanOrEqual(r.tolerance);
    });
  }
});

describe("walker: fan-out and chains", () => {
  it("accumulates a tensor used several times (x·x + exp(x), x through two paths)", async () => {
    const model = buildModel({
      inputs: [
        { name: "x", type: "float64", dims: [2, 3] },
        { name: "w", type: "float64", dims: [3] },
      ],
      outputs: [{ name: "y", type: "float64" }],
      nodes: [
        { opType: "Mul", inputs: ["x", "x"], outputs: ["sq"] },
        { opType: "Exp", inputs: ["x"], outputs: ["e"] },
        { opType: "Mul", inputs: ["e", "w"], outputs: ["ew"] },
        { opType: "Add", inputs: ["sq", "ew"], outputs: ["s"] },
        { opType: "Tanh", inputs: ["s"], outputs: ["y"] },
      ],
    });
    const results = await gradCheck({
      model,
      wrt: ["x", "w"],
      feeds: { x: randomTensor(3, [2, 3], "float64"), w: randomTensor(4, [3], "float64") },
      ...TOLERANCE.float64,
    });
    expect(results).toHaveLength(2);
    for (const r of results)
      expect(r.error, `${r.name}: ${r.analytic} vs ${r.numeric}`).toBeLessThanOrEqual(r.tolerance);
  });
});
