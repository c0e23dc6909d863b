import type { VjpRule } from "./types";

/** dx = dy / x. */
export const log: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    return [g.div(dy!, n.input(0))];
  },
};
