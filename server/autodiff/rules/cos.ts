import type { VjpRule } from "./types";

export const cos: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    return [g.neg(g.mul(dy!, g.op1("Sin", [n.input(0)])))];
  },
};
