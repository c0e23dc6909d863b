import { attrInts, attrString } from "../ir";
import { positionsLike, scatterToPositions } from "./index-helpers";
import type { VjpRule } from "./types";

const BIG = 2 ** 62;

/**
 * constant mode: dx = dy cropped by the pads (a Slice when they are constant and ≥ 0, else a
 * Pad by the negated pads, which also covers run-time and negative pads).
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
    // Run-time pads: dx = Pad(dy, −pads) with zeros, which crops what was added and zero-fills
    // what a negative pad cropped. (A Slice with ends from Shape(dy) − pads trips onnxruntime's
    // shape inference of Size(Shape(x)) and mishandles negative pads.)
    const negated = g.op1("Neg", [n.input(1)]);
    return [g.op1("Pad", axesGiven ? [dy!, negated, "", n.input(3)] : [dy!, negated])];
  },
};
