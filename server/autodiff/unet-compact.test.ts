// VJP models of SD-style exports stay compact: broadcasts are un-done with static axes, and the
// emitted tensors carry their shapes (ONNX Runtime's session creation was quadratic without).
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { evaluateModel } from "../onnx/evaluate";
import { buildModel, constantTensor } from "./builder";
import { attr } from "./ir";
import { encodeModel } from "./proto";
import { analyzeModel, buildVjpIr, cotangentInputName, gradientOutputName } from "./vjp";

/** torch's `t.expand(x.shape[0])` as exported: Where(Equal(shape, -1), 1, shape) feeds the Expand. */
function expandToBatchModel() {
  return buildModel({
    opset: 14,
    inputs: [
      { name: "x", type: "float32", dims: ["batch", 3] },
      { name: "t", type: "float32", dims: ["batch"] },
    ],
    outputs: [{ name: "y", type: "float32", dims: ["batch", 3] }],
    initializers: [
      constantTensor("zero", "int64", [], [0]),
      constantTensor("axes0", "int64", [1], [0]),
      constantTensor("axes1", "int64", [1], [1]),
      constantTensor("minus1", "int64", [1], [-1]),
      constantTensor("ones", "int64", [1], [1]),
    ],
    nodes: [
      { opType: "Shape", inputs: ["x"], outputs: ["shape"] },
      { opType: "Gather", inputs: ["shape", "zero"], outputs: ["b"] },
      { opType: "Unsqueeze", inputs: ["b", "axes0"], outputs: ["b1"] },
      { opType: "Concat", inputs: ["b1"], outputs: ["target"], attributes: [attr.int("axis", 0)] },
      { opType: "Equal", inputs: ["target", "minus1"], outputs: ["isMinus1"] },
      { opType: "Where", inputs: ["isMinus1", "ones", "target"], outputs: ["sizes"] },
      { opType: "Expand", inputs: ["t", "sizes"], outputs: ["tb"] },
      { opType: "Unsqueeze", inputs: ["tb", "axes1"], outputs: ["tcol"] },
      { opType: "Mul", inputs: ["x", "tcol"], outputs: ["y"] },
    ],
  });
}

describe("un-broadcasting after torch's expand(batch)", () => {
  it("keeps the batch symbol through Equal/Where, so no run-time axes are computed", () => {
    const { infos } = analyzeModel(expandToBatchModel());
    expect(infos.get("sizes")?.value).toEqual(["batch"]);
    expect(infos.get("tb")?.shape).toEqual(["batch"]);
    const vjp = buildVjpIr(expandToBatchModel(), { wrt: ["x", "t"], of: "y" });
    const ops = vjp.graph.nodes.map((n) => n.opType);
    expect(ops).not.toContain("NonZero");
    expect(ops).not.toContain("ConstantOfShape");
  });

  it("gives the same gradients as the product rule", async () => {
    const vjp = encodeModel(buildVjpIr(expandToBatchModel(), { wrt: ["x", "t"], of: "y" }));
    const x = Float32Array.from([1, 2, 3, -1, 0.5, 4]);
    const t = Float32Array.from([2, -3]);
    const dy = Float32Array.from([0.5, 1, -1, 2, 1, 0.25]);
    const out = await evaluateModel(vjp, {
      x: { type: "float32", dims: [2, 3], data: x },
      t: { type: "float32", dims: [2], data: t },
      [cotangentInputName("y")]: { type: "float32", dims: [2, 3], data: dy },
    });
    const gx = out[gradientOutputName("x")]!;
    const gt = out[gradientOutputName("t")]!;
    expect(gx.dims).toEqual([2, 3]);
    expect(gt.dims).toEqual([2]);
    expect(Array.from(gx.data as Float32Array)).toEqual([1, 2, -2, -6, -3, -0.75]);
    expect(Array.from(gt.data as Float32Array)).toEqual([0.5 + 2 - 3, -2 + 0.5 + 1]);
  });
});

describe("VJP of the tiny SD-1.5 UNet", () => {
  const file = path.join(process.cwd(), "models/sd_arch/tiny/sd15/unet/model.onnx");

  it("stays compact: no run-time un-broadcasting, every emitted tensor's shape declared", () => {
    const bytes = readFileSync(file);
    const forward = analyzeModel(bytes);
    const vjp = buildVjpIr(bytes, { wrt: ["sample"], of: "out_sample" });
    const count = (op: string) => vjp.graph.nodes.filter((n) => n.opType === op).length;
    // The VJP holds the forward once plus a few nodes per differentiated op: 1.7x the forward here. Before
    // the batch symbol survived torch's expand(batch), every broadcasting op got a run-time
    // Shape/Equal/NonZero un-broadcast and the VJP had 24,419 nodes (4.1x).
    expect(vjp.graph.nodes.length).toBeLessThanOrEqual(2 * forward.nodes.length);
    expect(count("NonZero")).toBe(0);
    expect(count("Shape")).toBeLessThanOrEqual(2 * forward.nodes.filter((n) => n.opType === "Shape").length);
    // ONNX Runtime's planner needs shapes to reuse buffers (and to keep its free list short).
    const declared = new Set(vjp.graph.valueInfo.map((v) => v.name));
    const outputs = vjp.graph.nodes.filter((n) => n.opType !== "Constant").flatMap((n) => n.outputs);
    const undeclared = outputs.filter((o) => o && !declared.has(o));
    expect(undeclared.length).toBeLessThanOrEqual(0.05 * outputs.length);
  });
});
