import { UnsupportedOpFormError } from "../errors";
import { attrInt } from "../ir";
import type { NodeView } from "./types";
import type { VjpRule } from "./types";

/** Axes a Softmax/LogSoftmax normalizes over: one axis since opset 13, "axis and after" before. */
export function softmaxAxes(n: NodeView, rank: number | undefined): number[] {
  const axisAttr = attrInt(n.node, "axis", n.opset >= 13 ? -1 : 1);
  if (rank === undefined) {
    if (n.opset >= 13) return [axisAttr];
    throw new UnsupportedOpFormError(
      n.node.opType,
      n.node.name,
      "input rank unknown (needed before opset 13)",
    );
  }
  const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
  if (n.opset >= 13) return [axis];
  return Array.from({ length: rank - axis }, (_, i) => axis + i);
}

/** dx = y · (dy − Σ dy·y). */
export const softmax: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const y = n.output(0);
    const axes = softmaxAxes(n, g.rank(y));
    const dot = g.reduceSum(g.mul(dy!, y), axes, true);
    return [g.mul(y, g.sub(dy!, dot))];
  },
};

/** dx = dy − exp(y) · Σ dy. */
export const logSoftmax: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const y = n.output(0);
    const axes = softmaxAxes(n, g.rank(y));
    const total = g.reduceSum(dy!, axes, true);
    return [g.sub(dy!, g.mul(g.op1("Exp", [y]), total))];
  },
};
