import type { VjpRule } from "./types";

export const sub: VjpRule = {
  differentiable: [0, 1],
  broadcasting: true,
  elementwise: true,
  backward(g, n, [dy]) {
    return [dy, n.needsGrad(1) ? g.neg(dy!) : null];
  },
};
