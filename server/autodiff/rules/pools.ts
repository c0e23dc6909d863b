import { UnsupportedOpFormError } from "../errors";
import type { Emitter } from "../emitter";
import { attr, attrInt } from "../ir";
import { convInputGrad, convParams } from "./conv-helpers";
import type { ConvParams } from "./conv-helpers";
import { scatterToPositions } from "./index-helpers";
import type { VjpRule } from "./types";

const BIG = 2 ** 62;

/** Spread each window's value back over the window: ConvTranspose with a ones kernel, per channel. */
function spreadWindows(g: Emitter, dy: string, x: string, p: ConvParams): string {
  // Fold channels into the batch so one 1→1 kernel serves any channel count.
  const dySpatial = g.op1("Slice", [g.shapeOf(dy), g.ints([2]), g.ints([BIG])]);
  const folded = g.reshape(dy, g.op1("Concat", [g.ints([-1, 1]), dySpatial], [attr.int("axis", 0)]));
  const xShape = g.info(x).shape;
  const dyShape = g.info(dy).shape;
  if (dyShape) g.setInfo(folded, { elemType: g.elemType(dy), shape: [null, 1, ...dyShape.slice(2)] });
  const xFolded = g.reshape(
    x,
    g.op1(
      "Concat",
      [g.ints([-1, 1]), g.op1("Slice", [g.shapeOf(x), g.ints([2]), g.ints([BIG])])],
      [attr.int("axis", 0)],
    ),
  );
  if (xShape) g.setInfo(xFolded, { elemType: g.elemType(x), shape: [null, 1, ...xShape.slice(2)] });
  const count = p.kernel.reduce((a, b) => a * b, 1);
  const ones = g.constant(g.elemType(dy), [1, 1, ...p.kernel], new Array(count).fill(1));
  const spread = convInputGrad(g, folded, ones, xFolded, { ...p, group: 1 }, true);
  return g.reshapeLike(spread, x);
}

/** Whether ceil_mode gives the same windows as floor mode (every window fully inside). */
function ceilIsFloor(g: Emitter, x: string, p: ConvParams): boolean {
  const spatial = g.info(x).shape?.slice(2);
  if (!spatial) return false;
  return p.kernel.every((k, i) => {
    const size = spatial[i];
    if (typeof size !== "number") return false;
    const span = size + p.pads[i]! + p.pads[i + p.kernel.length]! - ((k - 1) * p.dilations[i]! + 1);
    return span % p.strides[i]! === 0;
  });
}

export const averagePool: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const x = n.input(0);
    const p = convParams(g, n);
    if (attrInt(n.node, "ceil_mode", 0) === 1 && !ceilIsFloor(g, x, p)) {
      // The partial last window's divisor follows runtime-specific clipping rules.
      throw new UnsupportedOpFormError("AveragePool", n.node.name, "ceil_mode=1 with a partial last window");
    }
    const countIncludePad = attrInt(n.node, "count_include_pad", 0) === 1;
    const hasPads = p.pads.some((v) => v !== 0);
    let scaled: string;
    if (countIncludePad || !hasPads) {
      scaled = g.scale(dy!, 1 / p.kernel.reduce((a, b) => a * b, 1));
    } else {
      // Each window divides by its number of in-bounds elements: a sum pool of ones, i.e. the
      // average with pads counted, times the window size.
      const ones = g.op1("Add", [g.mul(x, g.scalarLike(x, 0)), g.scalarLike(x, 1)]);
      const sumPool = g.op1(
        "AveragePool",
        [ones],
        [
          ...n.node.attributes.filter((a) => a.name !== "count_include_pad"),
          attr.int("count_include_pad", 1),
        ],
      );
      const counts = g.scale(
        sumPool,
        p.kernel.reduce((a, b) => a * b, 1),
      );
      scaled = g.div(dy!, counts);
    }
    return [spreadWindows(g, scaled, x, p)];
  },
};

export const globalAveragePool: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const x = n.input(0);
    const shape = g.info(x).shape;
    const spatial = shape?.slice(2);
    let scaled: string;
    if (spatial?.every((d) => typeof d === "number")) {
      scaled = g.scale(dy!, 1 / (spatial as number[]).reduce((a, b) => a * b, 1));
    } else {
      const count = g.div(g.op1("Size", [x]), g.op1("Size", [dy!]));
      scaled = g.div(dy!, g.cast(count, g.elemType(x)));
    }
    return [g.op1("Expand", [scaled, g.shapeOf(x)])];
  },
};

/** MaxPool: the cotangent goes to the argmax of each window (recomputed with Indices). */
export const maxPool: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy, dIndices]) {
    if (dIndices) throw new UnsupportedOpFormError("MaxPool", n.node.name, "gradient through Indices");
    if (attrInt(n.node, "storage_order", 0) !== 0) {
      throw new UnsupportedOpFormError("MaxPool", n.node.name, "storage_order=1");
    }
    const x = n.input(0);
    const indices =
      n.node.outputs[1] && n.node.outputs[1] !== ""
        ? n.node.outputs[1]
        : g.op("MaxPool", [x], n.node.attributes, 2)[1]!;
    const p = convParams(g, n);
    const overlapping = p.kernel.some((k, i) => (k - 1) * p.dilations[i]! + 1 > p.strides[i]!);
    return [scatterToPositions(g, x, indices, dy!, overlapping, "MaxPool", n.node.name)];
  },
};
