import type { VjpRule } from "./types";

/** dx = dy · sign(x) (0 at x = 0, the subgradient PyTorch uses). */
export const abs: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    return [g.mul(dy!, g.op1("Sign", [n.input(0)]))];
  },
};
