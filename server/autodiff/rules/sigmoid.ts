import type { VjpRule } from "./types";

/** dx = dy · y · (1 − y). */
export const sigmoid: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const y = n.output(0);
    const oneMinus = g.sub(g.scalarLike(y, 1), y);
    return [g.mul(dy!, g.mul(y, oneMinus))];
  },
};
