import { isFloatType } from "../ir";
import type { VjpRule } from "./types";

/** Cast between float types: cast the cotangent back. (Casts to integers end the path earlier.) */
export const cast: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const from = g.info(n.input(0)).elemType;
    if (from && !isFloatType(from)) return [null];
    return [from ? g.cast(dy!, from) : dy];
  },
};
