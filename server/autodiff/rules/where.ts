import type { VjpRule } from "./types";

/** y = cond ? a : b. */
export const where: VjpRule = {
  differentiable: [1, 2],
  broadcasting: true,
  elementwise: true,
  backward(g, n, [dy]) {
    const cond = n.input(0);
    const zero = g.scalarLike(n.output(0), 0);
    return [
      null,
      n.needsGrad(1) ? g.op1("Where", [cond, dy!, zero]) : null,
      n.needsGrad(2) ? g.op1("Where", [cond, zero, dy!]) : null,
    ];
  },
};
