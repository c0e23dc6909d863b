import { attrInt } from "../ir";
import { positionsLike, scatterToPositions } from "./index-helpers";
import type { VjpRule } from "./types";

/** Gather: scatter-add dy to the gathered positions (indices may repeat). */
export const gather: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const x = n.input(0);
    const picked = g.op1("Gather", [positionsLike(g, x), n.input(1)], n.node.attributes);
    // Negative indices count from the end: normalize before the uniqueness check, or 0 and
    // −len (which alias) would take the no-accumulation shortcut.
    const indices = n.constInts(1);
    const shape = g.info(x).shape;
    const rank = shape?.length;
    let axis = attrInt(n.node, "axis", 0);
    if (axis < 0 && rank !== undefined) axis += rank;
    const len = shape?.[axis];
    const normalized =
      indices && (typeof len === "number" || indices.every((i) => i >= 0))
        ? indices.map((i) => (i < 0 ? i + (len as number) : i))
        : undefined;
    const unique = normalized !== undefined && new Set(normalized).size === normalized.length;
    return [scatterToPositions(g, x, picked, dy!, !unique, "Gather", n.node.name)];
  },
};

/** GatherElements: same, with element-wise indices. */
export const gatherElements: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const x = n.input(0);
    const picked = g.op1("GatherElements", [positionsLike(g, x), n.input(1)], n.node.attributes);
    return [scatterToPositions(g, x, picked, dy!, true, "GatherElements", n.node.name)];
  },
};
