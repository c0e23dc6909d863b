import type { VjpRule } from "./types";

/** Expand is pure broadcasting: the walker's un-broadcast is the whole VJP. */
export const expand: VjpRule = {
  differentiable: [0],
  broadcasting: true,
  elementwise: true,
  backward(_g, _n, [dy]) {
    return [dy];
  },
};
