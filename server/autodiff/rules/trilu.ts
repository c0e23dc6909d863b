import type { VjpRule } from "./types";

/** Trilu keeps a triangle and zeroes the rest: a projection, so dx = Trilu(dy). */
export const trilu: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    return [g.op1("Trilu", [dy!, ...n.node.inputs.slice(1)], n.node.attributes)];
  },
};
