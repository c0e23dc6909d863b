import type { VjpRule } from "./types";

export const mul: VjpRule = {
  differentiable: [0, 1],
  broadcasting: true,
  elementwise: true,
  backward(g, n, [dy]) {
    return [n.needsGrad(0) ? g.mul(dy!, n.input(1)) : null, n.needsGrad(1) ? g.mul(dy!, n.input(0)) : null];
  },
};
