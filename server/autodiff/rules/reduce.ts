import { UnsupportedOpFormError } from "../errors";
import type { Emitter } from "../emitter";
import { DataType, attrInt, attrInts } from "../ir";
import type { NodeView, VjpRule } from "./types";

/** Reduced axes of a Reduce* node (normalized, sorted), in either opset form. */
function reducedAxes(g: Emitter, n: NodeView): number[] {
  const rank = g.rank(n.input(0));
  // ReduceSum took axes as an input from opset 13, the other reductions from 18.
  const inputForm = n.node.opType === "ReduceSum" ? n.opset >= 13 : n.opset >= 18;
  let axes: number[] | undefined;
  if (inputForm) {
    if (n.input(1)) {
      axes = n.constInts(1);
      if (!axes) throw new UnsupportedOpFormError(n.node.opType, n.node.name, "axes computed at run time");
    }
  } else axes = attrInts(n.node, "axes");
  if (rank === undefined) throw new UnsupportedOpFormError(n.node.opType, n.node.name, "input rank unknown");
  if (!axes || axes.length === 0) {
    if (attrInt(n.node, "noop_with_empty_axes", 0) === 1) return [];
    return Array.from({ length: rank }, (_, i) => i);
  }
  return axes.map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
}

/** The cotangent broadcast back over the reduced axes (restoring them first when keepdims=0). */
function spread(g: Emitter, n: NodeView, dy: string, axes: number[]): string {
  const keep = attrInt(n.node, "keepdims", 1) === 1;
  const restored = keep ? dy : g.unsqueeze(dy, axes);
  return g.op1("Expand", [restored, g.shapeOf(n.input(0))]);
}

/** The forward output with the reduced axes restored (keepdims form), to broadcast against x. */
function outputKept(g: Emitter, n: NodeView, axes: number[]): string {
  return attrInt(n.node, "keepdims", 1) === 1 ? n.output(0) : g.unsqueeze(n.output(0), axes);
}

/** y = √Σx²: dx = dy·x/y. */
export const reduceL2: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const axes = reducedAxes(g, n);
    const x = n.input(0);
    return [g.mul(spread(g, n, dy!, axes), g.div(x, outputKept(g, n, axes)))];
  },
};

/** y = Σx²: dx = 2x·dy. */
export const reduceSumSquare: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const axes = reducedAxes(g, n);
    return [g.mul(spread(g, n, dy!, axes), g.scale(n.input(0), 2))];
  },
};

/** y = log Σ exp x: dx = dy·exp(x − y). */
export const reduceLogSumExp: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const axes = reducedAxes(g, n);
    const softmax = g.op1("Exp", [g.sub(n.input(0), outputKept(g, n, axes))]);
    return [g.mul(spread(g, n, dy!, axes), softmax)];
  },
};

/** ReduceMax/ReduceMin: the cotangent goes to the extremal elements (ties share it). */
export const reduceExtremum: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const axes = reducedAxes(g, n);
    const x = n.input(0);
    const hit = g.cast(g.op1("Equal", [x, outputKept(g, n, axes)]), g.elemType(x));
    const count = g.reduceSum(hit, axes, true);
    const kept = attrInt(n.node, "keepdims", 1) === 1 ? dy! : g.unsqueeze(dy!, axes);
    return [g.mul(hit, g.div(kept, count))];
  },
};

export const reduceSum: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    return [spread(g, n, dy!, reducedAxes(g, n))];
  },
};

export const reduceMean: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const x = n.input(0);
    const axes = reducedAxes(g, n);
    const shape = g.info(x).shape;
    const dims = axes.map((a) => shape?.[a]);
    let scaled: string;
    if (dims.every((d) => typeof d === "number")) {
      scaled = g.scale(dy!, 1 / (dims as number[]).reduce((p, q) => p * q, 1));
    } else {
      // Count = |x| / |y|, known only at run time.
      const count = g.div(g.op1("Size", [x]), g.op1("Size", [n.output(0)]));
      scaled = g.div(dy!, g.cast(count, g.elemType(x) || DataType.FLOAT));
    }
    return [spread(g, n, scaled, axes)];
  },
};
