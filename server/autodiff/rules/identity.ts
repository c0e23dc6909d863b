import type { VjpRule } from "./types";

/** Identity (Dropout has its own rule: identity at inference, refused in training mode). */
export const identity: VjpRule = {
  differentiable: [0],
  backward(_g, _n, [dy]) {
    return [dy];
  },
};
