import { describe, expect, it } from "vitest";
import { constantTensor, singleOpModel } from "../builder";
import { attr, type TensorProto } from "../ir";
import type { OpCase } from "../testing/gradcheck";
import { checkOp } from "../testing/gradcheck";
import { buildVjpIr } from "../vjp";

/** A weight held in the model (an initializer): its input gradient may run as a flipped convolution. */
function constantWeight(dims: number[], seed: number): TensorProto {
  const count = dims.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: count }, (_, i) => Math.sin(seed * 7.31 + i * 1.77) * 0.6);
  return constantTensor("w", "float32", dims, values);
}

// onnxruntime has no double kernels for Conv, ConvTranspose, pools or Resize: float32 with h = 1e-2.
const CASES: Array<[string, OpCase]> = [
  [
    "Conv 3x3 pad 1 with bias",
    {
      op: "Conv",
      type: "float32",
      inputs: [
        { name: "x", dims: [2, 3, 5, 5] },
        { name: "w", dims: [4, 3, 3, 3] },
        { name: "b", dims: [4] },
      ],
      attributes: [attr.ints("pads", [1, 1, 1, 1])],
    },
  ],
  [
    "Conv stride 2 (even size: output_padding)",
    {
      op: "Conv",
      type: "float32",
      inputs: [
        { name: "x", dims: [1, 2, 6, 6] },
        { name: "w", dims: [3, 2, 3, 3] },
      ],
      attributes: [attr.ints("pads", [1, 1, 1, 1]), attr.ints("strides", [2, 2])],
    },
  ],
  [
    "Conv stride 2 asymmetric pads, odd size",
    {
      op: "Conv",
      type: "float32",
      inputs: [
        { name: "x", dims: [1, 2, 7, 5] },
        { name: "w", dims: [2, 2, 3, 3] },
      ],
      attributes: [attr.ints("pads", [0, 0, 1, 1]), attr.ints("strides", [2, 2])],
    },
  ],
  [
    "Conv groups 2, dilation 2",
    {
      op: "Conv",
      type: "float32",
      inputs: [
        { name: "x", dims: [2, 4, 7, 7] },
        { name: "w", dims: [6, 2, 3, 3] },
        { name: "b", dims: [6] },
      ],
      attributes: [attr.int("group", 2), attr.ints("dilations", [2, 2]), attr.ints("pads", [2, 1, 2, 1])],
    },
  ],
  [
    "Conv depthwise stride 2",
    {
      op: "Conv",
      type: "float32",
      inputs: [
        { name: "x", dims: [1, 3, 6, 6] },
        { name: "w", dims: [3, 1, 3, 3] },
      ],
      attributes: [attr.int("group", 3), attr.ints("strides", [2, 2]), attr.ints("pads", [1, 1, 1, 1])],
    },
  ],
  [
    "Conv 1x1",
    {
      op: "Conv",
      type: "float32",
      inputs: [
        { name: "x", dims: [2, 3, 4, 4] },
        { name: "w", dims: [5, 3, 1, 1] },
      ],
    },
  ],
  [
    "Conv 1-D",
    {
      op: "Conv",
      type: "float32",
      inputs: [
        { name: "x", dims: [2, 3, 9] },
        { name: "w", dims: [4, 3, 3] },
      ],
      attributes: [attr.ints("strides", [2]), attr.ints("pads", [1, 0])],
    },
  ],
  [
    "Conv auto_pad SAME_UPPER stride 2",
    {
      op: "Conv",
      type: "float32",
      inputs: [
        { name: "x", dims: [1, 2, 5, 6] },
        { name: "w", dims: [2, 2, 3, 3] },
      ],
      attributes: [attr.string("auto_pad", "SAME_UPPER"), attr.ints("strides", [2, 2])],
    },
  ],
  [
    "Conv with dynamic batch and spatial dims, stride 2",
    {
      op: "Conv",
      type: "float32",
      inputs: [
        { name: "x", dims: [2, 2, 6, 7], symbolic: ["n", 2, "h", "w"] },
        { name: "w", dims: [3, 2, 3, 3] },
      ],
      attributes: [attr.ints("pads", [1, 1, 1, 1]), attr.ints("strides", [2, 2])],
      wrt: ["x"],
    },
  ],
  [
    "Conv 3x3 pad 1, constant weight (dx as a flipped convolution)",
    {
      op: "Conv",
      type: "float32",
      inputs: [{ name: "x", dims: [2, 3, 5, 5] }, constantWeight([4, 3, 3, 3], 1), { name: "b", dims: [4] }],
      attributes: [attr.ints("pads", [1, 1, 1, 1])],
    },
  ],
  [
    "Conv dilation 2, asymmetric pads, non-square kernel, constant weight",
    {
      op: "Conv",
      type: "float32",
      inputs: [{ name: "x", dims: [1, 2, 7, 8] }, constantWeight([3, 2, 3, 2], 2)],
      attributes: [attr.ints("dilations", [2, 2]), attr.ints("pads", [2, 0, 1, 1])],
    },
  ],
  [
    "Conv 1-D, constant weight, dynamic length",
    {
      op: "Conv",
      type: "float32",
      inputs: [{ name: "x", dims: [2, 3, 9], symbolic: ["n", 3, "l"] }, constantWeight([4, 3, 3], 3)],
      attributes: [attr.ints("pads", [1, 0])],
    },
  ],
  [
    "Conv 3-D, constant weight",
    {
      op: "Conv",
      type: "float32",
      inputs: [{ name: "x", dims: [1, 2, 4, 5, 3] }, constantWeight([2, 2, 3, 3, 1], 4)],
      attributes: [attr.ints("pads", [1, 1, 0, 1, 1, 0])],
    },
  ],
  [
    "Conv 1x1 with a pad wider than the kernel, constant weight (ConvTranspose instead)",
    {
      op: "Conv",
      type: "float32",
      inputs: [{ name: "x", dims: [1, 2, 4, 4] }, constantWeight([3, 2, 1, 1], 5)],
      attributes: [attr.ints("pads", [1, 1, 1, 1])],
    },
  ],
  [
    "Conv groups 2, constant weight (ConvTranspose instead)",
    {
      op: "Conv",
      type: "float32",
      inputs: [{ name: "x", dims: [1, 4, 5, 5] }, constantWeight([4, 2, 3, 3], 6)],
      attributes: [attr.int("group", 2), attr.ints("pads", [1, 1, 1, 1])],
    },
  ],
  [
    "Conv 3x3 pad 1, dynamic batch and spatial dims (ConvTranspose with the conv's pads)",
    {
      op: "Conv",
      type: "float32",
      inputs: [
        { name: "x", dims: [2, 2, 6, 7], symbolic: ["n", 2, "h", "w"] },
        { name: "w", dims: [3, 2, 3, 3] },
      ],
      attributes: [attr.ints("pads", [1, 0, 1, 2])],
      wrt: ["x"],
    },
  ],
  [
    "ConvTranspose stride 2 with output_padding and bias",
    {
      op: "ConvTranspose",
      type: "float32",
      inputs: [
        { name: "x", dims: [1, 3, 4, 4] },
        { name: "w", dims: [3, 2, 3, 3] },
        { name: "b", dims: [2] },
      ],
      attributes: [
        attr.ints("strides", [2, 2]),
        attr.ints("pads", [1, 1, 1, 1]),
        attr.ints("output_padding", [1, 1]),
      ],
    },
  ],
  [
    "ConvTranspose groups 2, dilation 2",
    {
      op: "ConvTranspose",
      type: "float32",
      inputs: [
        { name: "x", dims: [2, 4, 3, 3] },
        { name: "w", dims: [4, 1, 2, 2] },
      ],
      attributes: [attr.int("group", 2), attr.ints("dilations", [2, 2])],
    },
  ],
  [
    "AveragePool 2x2 stride 2",
    {
      op: "AveragePool",
      type: "float32",
      inputs: [{ name: "x", dims: [2, 3, 4, 6] }],
      attributes: [attr.ints("kernel_shape", [2, 2]), attr.ints("strides", [2, 2])],
    },
  ],
  [
    "AveragePool 3x3 pads, count_include_pad 0, overlapping",
    {
      op: "AveragePool",
      type: "float32",
      inputs: [{ name: "x", dims: [1, 2, 5, 5] }],
      attributes: [attr.ints("kernel_shape", [3, 3]), attr.ints("pads", [1, 1, 1, 1])],
    },
  ],
  [
    "AveragePool ceil_mode whose windows all fit, count_include_pad 1",
    {
      op: "AveragePool",
      type: "float32",
      inputs: [{ name: "x", dims: [1, 2, 5, 5] }],
      attributes: [
        attr.ints("kernel_shape", [3, 3]),
        attr.ints("strides", [2, 2]),
        attr.int("ceil_mode", 1),
        attr.int("count_include_pad", 1),
      ],
    },
  ],
  [
    "GlobalAveragePool",
    { op: "GlobalAveragePool", type: "float32", inputs: [{ name: "x", dims: [2, 3, 4, 5] }] },
  ],
  [
    "GlobalAveragePool dynamic spatial",
    {
      op: "GlobalAveragePool",
      type: "float32",
      inputs: [{ name: "x", dims: [2, 3, 4, 5], symbolic: ["n", 3, "h", "w"] }],
    },
  ],
  [
    "MaxPool 2x2 stride 2 (float64)",
    {
      op: "MaxPool",
      type: "float64",
      inputs: [{ name: "x", dims: [2, 2, 4, 4] }],
      attributes: [attr.ints("kernel_shape", [2, 2]), attr.ints("strides", [2, 2])],
    },
  ],
  [
    "MaxPool 3x3 stride 1 pad 1, overlapping windows (float64)",
    {
      op: "MaxPool",
      type: "float64",
      inputs: [{ name: "x", dims: [1, 2, 5, 5] }],
      attributes: [attr.ints("kernel_shape", [3, 3]), attr.ints("pads", [1, 1, 1, 1])],
    },
  ],
  [
    "Resize nearest x2 (asymmetric, floor: torch Upsample)",
    {
      op: "Resize",
      type: "float32",
      inputs: [{ name: "x", dims: [2, 3, 3, 4] }, "", constantTensor("scales", "float32", [4], [1, 1, 2, 2])],
      attributes: [
        attr.string("mode", "nearest"),
        attr.string("coordinate_transformation_mode", "asymmetric"),
        attr.string("nearest_mode", "floor"),
      ],
    },
  ],
  [
    "Resize nearest x3 default coordinates",
    {
      op: "Resize",
      type: "float32",
      inputs: [{ name: "x", dims: [1, 2, 3, 2] }, "", constantTensor("scales", "float32", [4], [1, 1, 3, 3])],
    },
  ],
  [
    "Resize nearest to sizes (non-integer factor, matrix path)",
    {
      op: "Resize",
      type: "float32",
      inputs: [
        { name: "x", dims: [1, 2, 4, 3] },
        "",
        "",
        constantTensor("sizes", "int64", [4], [1, 2, 6, 7]),
      ],
      attributes: [attr.string("mode", "nearest")],
    },
  ],
  [
    "Resize linear x2 half_pixel",
    {
      op: "Resize",
      type: "float32",
      inputs: [{ name: "x", dims: [2, 2, 3, 4] }, "", constantTensor("scales", "float32", [4], [1, 1, 2, 2])],
      attributes: [attr.string("mode", "linear")],
    },
  ],
  [
    "Resize linear align_corners to sizes",
    {
      op: "Resize",
      type: "float32",
      inputs: [
        { name: "x", dims: [1, 2, 3, 4] },
        "",
        "",
        constantTensor("sizes", "int64", [4], [1, 2, 5, 7]),
      ],
      attributes: [
        attr.string("mode", "linear"),
        attr.string("coordinate_transformation_mode", "align_corners"),
      ],
    },
  ],
];

describe("convolution, pooling and resize VJP rules against central differences", () => {
  for (const [label, c] of CASES) {
    it(label, async () => {
      const results = await checkOp(c);
      for (const r of results)
        expect(r.error, `${r.name}: ${r.analytic} vs ${r.numeric}`).toBeLessThanOrEqual(r.tolerance);
    });
  }
});

describe("which operator computes a convolution's input gradient", () => {
  const opTypes = (
    weight: TensorProto | { name: string; type: "float32"; dims: number[] },
    pads = [1, 1, 1, 1],
  ) =>
    buildVjpIr(
      singleOpModel({
        op: "Conv",
        inputs: [{ name: "x", type: "float32", dims: [1, 3, 8, 8] }, weight],
        attributes: [attr.ints("pads", pads)],
      }),
      { wrt: ["x"], of: "y" },
    ).graph.nodes.map((node) => node.opType);

  it("a stride-1 convolution with an inline weight: a convolution of dy with the flipped weight", () => {
    const ops = opTypes(constantWeight([4, 3, 3, 3], 1));
    expect(ops).toContain("Conv");
    expect(ops).not.toContain("ConvTranspose");
  });
  it("a weight in external data (it may stay in a shared mapping, never folded): ConvTranspose", () => {
    const external: TensorProto = {
      ...constantWeight([4, 3, 3, 3], 1),
      rawData: undefined,
      dataLocation: 1,
      externalData: [
        { key: "location", value: "weights.pb" },
        { key: "offset", value: "0" },
        { key: "length", value: String(4 * 3 * 3 * 3 * 4) },
      ],
    };
    expect(opTypes(external)).toContain("ConvTranspose");
  });
  it("a weight that is a graph input: ConvTranspose", () => {
    expect(opTypes({ name: "w", type: "float32", dims: [4, 3, 3, 3] })).toContain("ConvTranspose");
  });
});

describe("forms without a rule are refused at build time", () => {
  it("AveragePool ceil_mode with a partial last window names the node", async () => {
    await expect(
      checkOp({
        op: "AveragePool",
        type: "float32",
        inputs: [{ name: "x", dims: [1, 2, 5, 5] }],
        attributes: [
          attr.ints("kernel_shape", [2, 2]),
          attr.ints("strides", [2, 2]),
          attr.int("ceil_mode", 1),
        ],
      }),
    ).rejects.toThrow(/AveragePool node 'AveragePool_0'.*ceil_mode=1/);
  });
});
