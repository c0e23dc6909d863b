import { clampSlice } from "../infer";
import { attrInts } from "../ir";
import { positionsLike, scatterToPositions } from "./index-helpers";
import type { NodeView, VjpRule } from "./types";

interface StaticSlice {
  starts: number[];
  ends: number[];
  axes: number[];
  steps: number[];
}

function staticParams(n: NodeView, rank: number): StaticSlice | undefined {
  let starts: number[] | undefined;
  let ends: number[] | undefined;
  let axes: number[] | undefined;
  let steps: number[] | undefined;
  if (n.opset >= 10) {
    starts = n.constInts(1);
    ends = n.constInts(2);
    axes = n.input(3) ? n.constInts(3) : undefined;
    steps = n.input(4) ? n.constInts(4) : undefined;
    if ((n.input(3) && !axes) || (n.input(4) && !steps)) return undefined;
  } else {
    starts = attrInts(n.node, "starts");
    ends = attrInts(n.node, "ends");
    axes = attrInts(n.node, "axes");
  }
  if (!starts || !ends) return undefined;
  const axisList = (axes ?? starts.map((_, i) => i)).map((a) => (a < 0 ? a + rank : a));
  return { starts, ends, axes: axisList, steps: steps ?? starts.map(() => 1) };
}

/**
 * dx = zero-padding of dy back to x's shape. Static shapes and unit steps: one Pad.
 * Otherwise the positions trick (any steps, run-time starts/ends).
 */
export const slice: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const x = n.input(0);
    const shape = g.info(x).shape;
    const params = shape ? staticParams(n, shape.length) : undefined;
    // Only the sliced axes need static sizes (a dynamic batch axis is fine).
    const slicedStatic = params?.axes.every((axis) => typeof shape?.[axis] === "number") ?? false;
    if (shape && params && slicedStatic && params.steps.every((s) => s === 1)) {
      const pads = new Array(2 * shape.length).fill(0);
      params.axes.forEach((axis, i) => {
        const dim = shape[axis] as number;
        const [s, e] = clampSlice(params.starts[i]!, params.ends[i]!, 1, dim);
        pads[axis] = s;
        pads[axis + shape.length] = dim - Math.max(s, e);
      });
      return [g.op1("Pad", [dy!, g.ints(pads)])];
    }
    const positions = positionsLike(g, x);
    const picked = g.op1("Slice", [positions, ...n.node.inputs.slice(1)], n.node.attributes);
    return [scatterToPositions(g, x, picked, dy!, false, "Slice", n.node.name)];
  },
};
