/**
 * Regression tests (issue 15) for forms the first rules got wrong: run-time Split sizes and
 * Pad pads (int64 graph inputs, not initializers), aliasing negative Gather indices, and
 * Pow's exponent gradient where the base is 0. Every case is checked against central
 * differences through onnxruntime-node.
 */
import { describe, expect, it } from "vitest";
import type { HostTensor } from "../../onnx/evaluate";
import { constantTensor, singleOpModel } from "../builder";
import { attr } from "../ir";
import type { GradCheckResult } from "../testing/gradcheck";
import { TOLERANCE, checkOp, gradCheck, randomTensor } from "../testing/gradcheck";

const int64 = (values: number[]): HostTensor => ({
  type: "int64",
  dims: [values.length],
  data: BigInt64Array.from(values.map(BigInt)),
});

function expectClose(results: GradCheckResult[]) {
  expect(results.length).toBeGreaterThan(0);
  for (const r of results) {
    expect(Number.isFinite(r.analytic), `${r.name}: analytic ${r.analytic}`).toBe(true);
    expect(r.error, `${r.name}: ${r.analytic} vs ${r.numeric}`).toBeLessThanOrEqual(r.tolerance);
  }
}

describe("Split with run-time sizes", () => {
  // Uneven sizes: the even-split guess (3, 2) would give a gradient of the wrong shape.
  for (const of of ["y0", "y1"]) {
    it(`split = [1, 4] as a graph input, gradient of ${of}`, async () => {
      const model = singleOpModel({
        op: "Split",
        inputs: [
          { name: "x", type: "float64", dims: [5, 2] },
          { name: "s", type: "int64", dims: [2] },
        ],
        outputs: [
          { name: "y0", type: "float64" },
          { name: "y1", type: "float64" },
        ],
      });
      const feeds = { x: randomTensor(3, [5, 2], "float64"), s: int64([1, 4]) };
      expectClose(await gradCheck({ model, wrt: ["x"], of, feeds, ...TOLERANCE.float64 }));
    });
  }
});

describe("Pad with run-time pads", () => {
  it("constant mode, pads as a graph input", async () => {
    const model = singleOpModel({
      op: "Pad",
      inputs: [
        { name: "x", type: "float64", dims: [2, 3] },
        { name: "p", type: "int64", dims: [4] },
      ],
    });
    const feeds = { x: randomTensor(5, [2, 3], "float64"), p: int64([1, 0, 2, 3]) };
    expectClose(await gradCheck({ model, wrt: ["x"], feeds, ...TOLERANCE.float64 }));
  });

  it("constant mode, negative (cropping) run-time pads", async () => {
    const model = singleOpModel({
      op: "Pad",
      inputs: [
        { name: "x", type: "float64", dims: [3, 5] },
        { name: "p", type: "int64", dims: [4] },
      ],
    });
    const feeds = { x: randomTensor(6, [3, 5], "float64"), p: int64([-1, 2, 1, -2]) };
    expectClose(await gradCheck({ model, wrt: ["x"], feeds, ...TOLERANCE.float64 }));
  });

  it("constant mode, negative constant pads", async () => {
    expectClose(
      await checkOp({
        op: "Pad",
        type: "float64",
        inputs: [{ name: "x", dims: [3, 5] }, constantTensor("p", "int64", [4], [1, -2, -1, 1])],
      }),
    );
  });

  it("constant mode, pads and axes as graph inputs (opset 18)", async () => {
    const model = singleOpModel({
      op: "Pad",
      opset: 18,
      inputs: [
        { name: "x", type: "float64", dims: [2, 3, 4] },
        { name: "p", type: "int64", dims: [4] },
        "",
        { name: "a", type: "int64", dims: [2] },
      ],
    });
    const feeds = {
      x: randomTensor(7, [2, 3, 4], "float64"),
      p: int64([1, 2, 0, 1]),
      a: int64([0, -1]),
    };
    expectClose(await gradCheck({ model, wrt: ["x"], feeds, ...TOLERANCE.float64 }));
  });
});

describe("Gather with aliasing negative indices", () => {
  it("indices 0 and -10 on a length-10 axis accumulate into one row", async () => {
    expectClose(
      await checkOp({
        op: "Gather",
        type: "float64",
        inputs: [{ name: "x", dims: [10, 3] }, constantTensor("i", "int64", [3], [0, -10, 4])],
      }),
    );
  });

  it("aliasing on axis 1 with a negative index", async () => {
    expectClose(
      await checkOp({
        op: "Gather",
        type: "float64",
        inputs: [{ name: "x", dims: [2, 4] }, constantTensor("i", "int64", [2], [-1, 3])],
        attributes: [attr.int("axis", 1)],
      }),
    );
  });
});

describe("Pow where the base is 0", () => {
  it("exponent gradient is 0 (not NaN) at base 0 with a positive exponent", async () => {
    expectClose(
      await checkOp({
        op: "Pow",
        type: "float64",
        inputs: [
          { name: "a", dims: [3, 4], map: (v) => (v < 0 ? 0 : v + 0.1) },
          { name: "p", dims: [3, 4], map: (v) => Math.abs(v) + 0.5 },
        ],
        wrt: ["p"],
      }),
    );
  });

  it("broadcast scalar exponent, base with zeros", async () => {
    expectClose(
      await checkOp({
        op: "Pow",
        type: "float64",
        inputs: [
          { name: "a", dims: [2, 5], map: (v) => (v < 0 ? 0 : v + 0.1) },
          { name: "p", dims: [1], map: () => 1.7 },
        ],
        wrt: ["p"],
      }),
    );
  });

  it("base gradient still correct away from 0 when both need gradients", async () => {
    expectClose(
      await checkOp({
        op: "Pow",
        type: "float64",
        inputs: [
          { name: "a", dims: [2, 3], map: (v) => Math.abs(v) + 0.3 },
          { name: "p", dims: [2, 3], map: (v) => v * 0.5 },
        ],
      }),
    );
  });
});
