import type { VjpRule } from "./types";

export const neg: VjpRule = {
  differentiable: [0],
  backward(g, _n, [dy]) {
    return [g.neg(dy!)];
  },
};
