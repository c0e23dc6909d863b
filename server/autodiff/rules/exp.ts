import type { VjpRule } from "./types";

/** dx = dy · y. */
export const exp: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    return [g.mul(dy!, n.output(0))];
  },
};
