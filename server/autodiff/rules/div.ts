import type { VjpRule } from "./types";

/** y = a / b: da = dy / b, db = −dy · y / b. */
export const div: VjpRule = {
  differentiable: [0, 1],
  broadcasting: true,
  elementwise: true,
  backward(g, n, [dy]) {
    const b = n.input(1);
    const da = g.div(dy!, b);
    return [n.needsGrad(0) ? da : null, n.needsGrad(1) ? g.neg(g.mul(da, n.output(0))) : null];
  },
};
