/**
 * Shared pieces of the convolution-family VJPs: reading conv attributes, the adjoint of a
 * strided convolution (ConvTranspose, cropped or padded back to the input's size), and the
 * weight gradient expressed as another convolution.
 */
import { UnsupportedOpFormError } from "../errors";
import type { Emitter } from "../emitter";
import { isStatic, resolvePads } from "../infer";
import { attr, attrInt, attrInts } from "../ir";
import type { NodeView } from "./types";

export interface ConvParams {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** [begin..., end...] */
  pads: number[];
  group: number;
}

export function convParams(g: Emitter, n: NodeView, weight?: string): ConvParams {
  const x = n.input(0);
  const shape = g.info(x).shape;
  const wShape = weight ? g.info(weight).shape : undefined;
  const kernel =
    attrInts(n.node, "kernel_shape") ?? (wShape && isStatic(wShape) ? wShape.slice(2) : undefined);
  if (!kernel)
    throw new UnsupportedOpFormError(n.node.opType, n.node.name, "kernel shape unknown at build time");
  const rank = kernel.length;
  const strides = attrInts(n.node, "strides") ?? new Array(rank).fill(1);
  const dilations = attrInts(n.node, "dilations") ?? new Array(rank).fill(1);
  const pads = resolvePads(
    n.node,
    shape ? shape.slice(2) : new Array(rank).fill(null),
    kernel,
    strides,
    dilations,
  );
  if (!pads) {
    throw new UnsupportedOpFormError(
      n.node.opType,
      n.node.name,
      "auto_pad SAME_* with spatial sizes unknown at build time",
    );
  }
  return { kernel, strides, dilations, pads, group: attrInt(n.node, "group", 1) };
}

const BIG = 2 ** 62;

/**
 * The adjoint of Conv(x; weight, params) applied to dy. A stride-1 convolution whose weight is a constant
 * ONNX Runtime folds at load (`foldedWeight`) gets another convolution (stridelessInputGrad); another
 * stride-1 one gets ConvTranspose with its own pads (exactly x's size); a strided one gets ConvTranspose,
 * then brought to x's spatial size: static sizes → exact pads/output_padding; dynamic → full transpose,
 * zero tail, crop.
 */
export function convInputGrad(
  g: Emitter,
  dy: string,
  weight: string,
  x: string,
  p: ConvParams,
  foldedWeight: boolean,
): string {
  const rank = p.kernel.length;
  const xShape = g.info(x).shape;
  const dyShape = g.info(dy).shape;
  const effective = p.kernel.map((k, i) => (k - 1) * p.dilations[i]! + 1);
  const common = [
    attr.ints("strides", p.strides),
    attr.ints("dilations", p.dilations),
    attr.int("group", p.group),
  ];
  if (p.strides.every((stride) => stride === 1)) {
    const flipped = foldedWeight && p.group === 1 ? stridelessInputGrad(g, dy, weight, p, effective) : null;
    if (flipped) return flipped;
    // Stride 1: ConvTranspose with the convolution's own pads has exactly x's size, whatever the sizes
    // (in − 1 + effective − pads = x), so no full transpose, zero tail and crop even when they are dynamic.
    return g.op1("ConvTranspose", [dy, weight], [...common, attr.ints("pads", p.pads)]);
  }
  const spatialX = xShape?.slice(2);
  const spatialY = dyShape?.slice(2);
  if (spatialX && spatialY && isStatic(spatialX) && isStatic(spatialY)) {
    const begin = p.pads.slice(0, rank);
    const end: number[] = [];
    const outputPadding: number[] = [];
    for (let i = 0; i < rank; i++) {
      const full = p.strides[i]! * (spatialY[i]! - 1) + effective[i]!;
      end.push(Math.max(0, full - begin[i]! - spatialX[i]!));
      outputPadding.push(Math.max(0, spatialX[i]! + begin[i]! - full));
    }
    const valid = outputPadding.every((o, i) => o < Math.max(p.strides[i]!, p.dilations[i]!));
    if (valid) {
      const out = g.op1(
        "ConvTranspose",
        [dy, weight],
        [...common, attr.ints("pads", [...begin, ...end]), attr.ints("output_padding", outputPadding)],
      );
      return out;
    }
  }
  // Dynamic sizes: full transpose, pad the tail with zeros (rows no window reached), crop.
  const full = g.op1(
    "ConvTranspose",
    [dy, weight],
    [...common, attr.ints("pads", new Array(2 * rank).fill(0))],
  );
  const maxTail =
    Math.max(...p.strides.map((s, i) => Math.max(s, p.dilations[i]!))) - 1 + Math.max(...p.pads.slice(rank));
  const padded =
    maxTail > 0
      ? g.op1("Pad", [
          full,
          g.ints([0, 0, ...new Array(rank).fill(0), 0, 0, ...new Array(rank).fill(maxTail)]),
        ])
      : full;
  const axes = Array.from({ length: rank }, (_, i) => i + 2);
  const starts = p.pads.slice(0, rank);
  const sizes = g.op1("Slice", [g.shapeOf(x), g.ints([2]), g.ints([BIG])]);
  const ends = g.add(sizes, g.ints(starts));
  return g.op1("Slice", [padded, g.ints(starts), ends, g.ints(axes)]);
}

/**
 * dx of a stride-1 convolution as a convolution of dy with W flipped in space and with its channel axes
 * swapped, padded by (effective kernel − 1 − pad) on each side: the output is exactly x's size, no crop.
 * Why not ConvTranspose: on the CPU it scatters its result through col2im, where a convolution runs ONNX
 * Runtime's NCHWc kernels — measured on the SD VAE decoder's VJP (2 threads, 256 px): 24 s → 8 s per call.
 * The flipped weight is computed once at load only when the weight is an inline initializer (constant
 * folding); a weight kept in a shared file mapping (server/onnx/memory-sharing.ts: no folding, no NCHWc)
 * would be flipped at every call, and there this is slower than ConvTranspose (the SD UNet's VJP: 4.4 s →
 * 11–13 s), so the caller only asks for it when the weight is folded. Null when a pad exceeds the kernel
 * (a negative pad here).
 */
function stridelessInputGrad(
  g: Emitter,
  dy: string,
  weight: string,
  p: ConvParams,
  effective: number[],
): string | null {
  const rank = p.kernel.length;
  const pads = [
    ...p.pads.slice(0, rank).map((begin, i) => effective[i]! - 1 - begin),
    ...p.pads.slice(rank).map((end, i) => effective[i]! - 1 - end),
  ];
  if (pads.some((pad) => pad < 0)) return null;
  const spatialAxes = Array.from({ length: rank }, (_, i) => i + 2);
  const swapped = g.transpose(weight, [1, 0, ...spatialAxes]);
  const flipped = g.op1("Slice", [
    swapped,
    g.ints(new Array(rank).fill(-1)),
    g.ints(new Array(rank).fill(-BIG)),
    g.ints(spatialAxes),
    g.ints(new Array(rank).fill(-1)),
  ]);
  return g.op1(
    "Conv",
    [dy, flipped],
    [
      attr.ints("strides", p.strides),
      attr.ints("dilations", p.dilations),
      attr.int("group", 1),
      attr.ints("pads", pads),
    ],
  );
}

/**
 * dW of Conv(x; W) for cotangent dy, as a convolution of x with dy (the roles of stride and
 * dilation swap). Groups are folded into the channel axes.
 */
export function convWeightGrad(g: Emitter, x: string, dy: string, weight: string, p: ConvParams): string {
  const rank = p.kernel.length;
  const wShape = g.info(weight).shape;
  const xShape = g.info(x).shape;
  const outChannels = wShape?.[0];
  const channels = xShape?.[1];
  if (typeof outChannels !== "number" || typeof channels !== "number") {
    throw new UnsupportedOpFormError("Conv", "", "weight gradient needs static channel counts");
  }
  const spatialPerm = Array.from({ length: rank }, (_, i) => i + 2);
  const cg = channels / p.group;
  const og = outChannels / p.group;
  let xc: string;
  let kc: string;
  if (p.group === 1) {
    xc = g.transpose(x, [1, 0, ...spatialPerm]);
    kc = g.transpose(dy, [1, 0, ...spatialPerm]);
  } else {
    const xSpatial = g.op1("Slice", [g.shapeOf(x), g.ints([2]), g.ints([BIG])]);
    const dySpatial = g.op1("Slice", [g.shapeOf(dy), g.ints([2]), g.ints([BIG])]);
    const x5 = g.reshape(x, g.op1("Concat", [g.ints([-1, p.group, cg]), xSpatial], [attr.int("axis", 0)]));
    const xt = g.transpose(x5, [2, 1, 0, ...spatialPerm.map((a) => a + 1)]);
    xc = g.reshape(xt, g.op1("Concat", [g.ints([cg, -1]), xSpatial], [attr.int("axis", 0)]));
    const dy5 = g.reshape(dy, g.op1("Concat", [g.ints([-1, p.group, og]), dySpatial], [attr.int("axis", 0)]));
    const dyt = g.transpose(dy5, [1, 2, 0, ...spatialPerm.map((a) => a + 1)]);
    kc = g.reshape(dyt, g.op1("Concat", [g.ints([outChannels, -1]), dySpatial], [attr.int("axis", 0)]));
  }
  const r = g.op1(
    "Conv",
    [xc, kc],
    [
      attr.ints("strides", p.dilations),
      attr.ints("dilations", p.strides),
      attr.ints("pads", p.pads),
      attr.int("group", p.group),
    ],
  );
  // r: [Cg, O, K'...] with K' >= K: crop to the kernel, then channels back to [O, Cg, K...].
  const cropped = g.op1("Slice", [r, g.ints(new Array(rank).fill(0)), g.ints(p.kernel), g.ints(spatialPerm)]);
  return g.transpose(cropped, [1, 0, ...spatialPerm]);
}
