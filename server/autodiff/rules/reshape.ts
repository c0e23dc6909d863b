import type { VjpRule } from "./types";

/** Reshape, Flatten, Squeeze, Unsqueeze: same data, so reshape the cotangent back. */
export const reshape: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    return [g.reshapeLike(dy!, n.input(0))];
  },
};
