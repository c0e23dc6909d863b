import { describe, expect, it } from "vitest";
import { buildModel } from "../autodiff/builder";
import { encodeModel } from "../autodiff/proto";
import { evaluateModel, openModel } from "./evaluate";

const addModel = encodeModel(
  buildModel({
    inputs: [
      { name: "a", type: "float64", dims: [2] },
      { name: "b", type: "float64", dims: [2] },
    ],
    outputs: [
      { name: "sum", type: "float64" },
      { name: "shape", type: "int64" },
    ],
    nodes: [
      { opType: "Add", inputs: ["a", "b"], outputs: ["sum"] },
      { opType: "Shape", inputs: ["sum"], outputs: ["shape"] },
    ],
  }),
);

describe("evaluateModel", () => {
  it("runs a model from bytes and returns host tensors of each output type", async () => {
    const out = await evaluateModel(addModel, {
      a: { type: "float64", dims: [2], data: [1.5, 2] },
      b: { type: "float64", dims: [2], data: new Float64Array([0.25, -3]) },
    });
    expect(out.sum).toEqual({ type: "float64", dims: [2], data: new Float64Array([1.75, -1]) });
    expect(out.shape?.type).toBe("int64");
    expect(Array.from(out.shape!.data as BigInt64Array)).toEqual([2n]);
  });

  it("returns only the requested outputs", async () => {
    const out = await evaluateModel(
      addModel,
      { a: { type: "float64", dims: [2], data: [1, 2] }, b: { type: "float64", dims: [2], data: [3, 4] } },
      ["shape"],
    );
    expect(Object.keys(out)).toEqual(["shape"]);
  });

  it("rejects a feed whose data does not match its dims", async () => {
    await expect(
      evaluateModel(addModel, {
        a: { type: "float64", dims: [3], data: [1, 2] },
        b: { type: "float64", dims: [2], data: [3, 4] },
      }),
    ).rejects.toThrow(/Feed a: 2 values for dims \[3\]/);
  });

  it("keeps a session open for repeated runs", async () => {
    const runner = await openModel(addModel);
    try {
      expect(runner.inputNames).toEqual(["a", "b"]);
      for (const k of [1, 2, 3]) {
        const out = await runner.run({
          a: { type: "float64", dims: [2], data: [k, k] },
          b: { type: "float64", dims: [2], data: [k, 0] },
        });
        expect(Array.from(out.sum!.data as Float64Array)).toEqual([2 * k, k]);
      }
    } finally {
      await runner.dispose();
    }
  });
});
