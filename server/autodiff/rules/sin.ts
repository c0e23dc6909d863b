import type { VjpRule } from "./types";

export const sin: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    return [g.mul(dy!, g.op1("Cos", [n.input(0)]))];
  },
};
