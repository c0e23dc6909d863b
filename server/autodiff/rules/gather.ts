import { positionsLike, scatterToPositions } from "./index-helpers";
import type { VjpRule } from "./types";

/** Gather: scatter-add dy to the gathered positions (indices may repeat). */
export const gather: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const x = n.input(0);
    const picked = g.op1("Gather", [positionsLike(g, x), n.input(1)], n.node.attributes);
    const indices = n.constInts(1);
    const unique = indices !== undefined && new Set(indices).size === indices.length;
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
