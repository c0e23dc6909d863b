import type { VjpRule } from "./types";

/** y = max(x, 0): dx = dy where x > 0. */
export const relu: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const x = n.input(0);
    const positive = g.op1("Greater", [x, g.scalarLike(x, 0)]);
    return [g.op1("Where", [positive, dy!, g.scalarLike(x, 0)])];
  },
};
