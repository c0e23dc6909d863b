import { attrInts, attrString } from "../ir";
import { positionsLike, scatterToPositions } from "./index-helpers";
import type { VjpRule } from "./types";

const BIG = 2 ** 62;

/**
 * constant mode: dx = dy cropped by the pads (a Slice; pads may be run-time values).
 * reflect/edge/wrap: positions trick with scatter-add (an element feeds several outputs).
 */
export const pad: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const x = n.input(0);
    const mode = attrString(n.node, "mode", "constant");
    if (mode !== "constant") {
      const inputs =
        n.opset >= 11 ? [positionsLike(g, x), n.input(1), "", n.input(3)] : [positionsLike(g, x)];
      while (inputs.length > 1 && inputs[inputs.length - 1] === "") inputs.pop();
      const picked = g.op1("Pad", inputs, n.node.attributes);
      return [scatterToPositions(g, x, picked, dy!, true, "Pad", n.node.name)];
    }
    const rank = g.rank(x);
    const staticPads = n.opset >= 11 ? n.constInts(1) : attrInts(n.node, "pads");
    const axesGiven = n.opset >= 18 && n.input(3) !== "";
    const axes = axesGiven
      ? n.constInts(3)
      : rank !== undefined
        ? Array.from({ length: rank }, (_, i) => i)
        : undefined;
    if (staticPads && axes && staticPads.every((p) => p >= 0)) {
      const k = axes.length;
      const starts = staticPads.slice(0, k);
      const endPads = staticPads.slice(k);
      const ends = endPads.map((e) => (e === 0 ? BIG : -e));
      return [g.op1("Slice", [dy!, g.ints(starts), g.ints(ends), g.ints(axes)])];
    }
    // Run-time pads: starts = begins, ends = Shape(dy) − end pads (on the padded axes).
    const padsTensor = n.input(1);
    const half = g.div(g.op1("Shape", [padsTensor]), g.ints([2]));
    const starts = g.op1("Slice", [padsTensor, g.ints([0]), half]);
    const endPads = g.op1("Slice", [padsTensor, half, g.ints([BIG])]);
    const axesTensor = axesGiven
      ? n.input(3)
      : g.op1("Range", [g.intScalar(0), g.op1("Size", [g.shapeOf(x)]), g.intScalar(1)]);
    const dyDims = g.op1("Gather", [g.shapeOf(dy!), axesTensor]);
    return [g.op1("Slice", [dy!, starts, g.sub(dyDims, endPads), axesTensor])];
  },
};
