// Issue 15: gradients that add contributions at repeated positions (scatter-add) in models exported below
// opset 16 (SD exports are opset 14): the VJP model is raised to opset 16 instead of refusing.
import { describe, expect, it } from "vitest";
import { constantTensor, singleOpModel } from "../builder";
import { UnsupportedOpFormError } from "../errors";
import { attr } from "../ir";
import type { OpCase } from "../testing/gradcheck";
import { checkOp } from "../testing/gradcheck";
import { buildVjpIr } from "../vjp";

async function expectMatches(c: OpCase): Promise<void> {
  const results = await checkOp(c);
  expect(results.length).toBeGreaterThan(0);
  for (const r of results)
    expect(r.error, `${r.name}: ${r.analytic} vs ${r.numeric}`).toBeLessThanOrEqual(r.tolerance);
}

const cases: Array<[string, OpCase]> = [
  [
    "Gather with repeated and aliasing indices (0, 2, 0, −3 on a length-3 axis)",
    {
      op: "Gather",
      type: "float64",
      opset: 14,
      inputs: [{ name: "x", dims: [3, 4] }, constantTensor("i", "int64", [4], [0, 2, 0, -3])],
      attributes: [attr.int("axis", 0)],
    },
  ],
  [
    "GatherElements with repeated positions",
    {
      op: "GatherElements",
      type: "float64",
      opset: 14,
      inputs: [{ name: "x", dims: [2, 3] }, constantTensor("i", "int64", [2, 4], [0, 0, 2, 1, 1, 1, 0, 2])],
      attributes: [attr.int("axis", 1)],
    },
  ],
  [
    "GatherND with a repeated index",
    {
      op: "GatherND",
      type: "float64",
      opset: 13,
      inputs: [{ name: "x", dims: [3, 4] }, constantTensor("i", "int64", [3, 1], [2, 0, 2])],
    },
  ],
  [
    "Tile",
    {
      op: "Tile",
      type: "float64",
      opset: 14,
      inputs: [{ name: "x", dims: [2, 3] }, constantTensor("r", "int64", [2], [2, 3])],
    },
  ],
  [
    "MaxPool 3×3 stride 1 pad 1 (overlapping windows)",
    {
      op: "MaxPool",
      type: "float32",
      opset: 14,
      inputs: [{ name: "x", dims: [1, 2, 5, 5] }],
      attributes: [attr.ints("kernel_shape", [3, 3]), attr.ints("pads", [1, 1, 1, 1])],
    },
  ],
  [
    "MaxPool 3×3 stride 2 (overlapping windows), opset 15",
    {
      op: "MaxPool",
      type: "float32",
      opset: 15,
      inputs: [{ name: "x", dims: [1, 1, 7, 7] }],
      attributes: [attr.ints("kernel_shape", [3, 3]), attr.ints("strides", [2, 2])],
    },
  ],
];

describe("scatter-add below opset 16: the VJP model is raised to opset 16 and matches finite differences", () => {
  for (const [name, c] of cases) {
    it(name, async () => {
      await expectMatches(c);
      const inputs = c.inputs.map((input) =>
        input !== "" && "dims" in input && !("dataType" in input) && typeof input.name === "string"
          ? { name: input.name, type: c.type, dims: input.dims as number[] }
          : input,
      );
      const model = singleOpModel({
        op: c.op,
        opset: c.opset,
        inputs: inputs as Parameters<typeof singleOpModel>[0]["inputs"],
        attributes: c.attributes,
      });
      const vjp = buildVjpIr(model, { wrt: ["x"], of: "y" });
      expect(vjp.opsetImports.find((entry) => entry.domain === "")?.version).toBe(16);
      expect(vjp.irVersion).toBeGreaterThanOrEqual(8);
    });
  }

  it("a VJP that needs no scatter-add keeps the model's opset", () => {
    const model = singleOpModel({
      op: "Gather",
      opset: 14,
      inputs: [{ name: "x", type: "float32", dims: [3, 4] }, constantTensor("i", "int64", [2], [2, 0])],
      attributes: [attr.int("axis", 0)],
    });
    const vjp = buildVjpIr(model, { wrt: ["x"], of: "y" });
    expect(vjp.opsetImports.find((entry) => entry.domain === "")?.version).toBe(14);
  });

  it("below opset 13 the forward ops' forms differ: still refused, with what to do", () => {
    const model = singleOpModel({
      op: "GatherND",
      opset: 12,
      inputs: [{ name: "x", type: "float32", dims: [3, 4] }, constantTensor("i", "int64", [3, 1], [2, 0, 2])],
    });
    expect(() => buildVjpIr(model, { wrt: ["x"], of: "y" })).toThrow(UnsupportedOpFormError);
    expect(() => buildVjpIr(model, { wrt: ["x"], of: "y" })).toThrow(/re-export it at opset 16 or later/);
  });
});
