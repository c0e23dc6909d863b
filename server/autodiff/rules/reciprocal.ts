import type { VjpRule } from "./types";

/** y = 1/x: dx = −dy · y². */
export const reciprocal: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const y = n.output(0);
    return [g.neg(g.mul(dy!, g.mul(y, y)))];
  },
};
