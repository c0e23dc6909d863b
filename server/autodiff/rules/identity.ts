import type { VjpRule } from "./types";

/** Identity, and Dropout at inference (the mask output carries no gradient). */
export const identity: VjpRule = {
  differentiable: [0],
  backward(_g, _n, [dy]) {
    return [dy];
  },
};
