import type { VjpRule } from "./types";

/** dx = dy / (2·y). */
export const sqrt: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    return [g.div(g.scale(dy!, 0.5), n.output(0))];
  },
};
