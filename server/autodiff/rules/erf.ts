import type { VjpRule } from "./types";

/** dx = dy · 2/√π · exp(−x²). */
export const erf: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const x = n.input(0);
    const gauss = g.op1("Exp", [g.neg(g.mul(x, x))]);
    return [g.mul(g.scale(dy!, 2 / Math.sqrt(Math.PI)), gauss)];
  },
};
