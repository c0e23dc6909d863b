import type { VjpRule } from "./types";

/** dx = dy · (1 − y²). */
export const tanh: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const y = n.output(0);
    return [g.mul(dy!, g.sub(g.scalarLike(y, 1), g.mul(y, y)))];
  },
};
