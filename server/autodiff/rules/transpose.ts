import { UnsupportedOpFormError } from "../errors";
import { attrInts } from "../ir";
import type { VjpRule } from "./types";

/** dx = Transpose(dy, inverse perm). */
export const transpose: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const rank = g.rank(n.input(0));
    let perm = attrInts(n.node, "perm");
    if (!perm) {
      if (rank === undefined)
        throw new UnsupportedOpFormError("Transpose", n.node.name, "no perm and unknown rank");
      perm = Array.from({ length: rank }, (_, i) => rank - 1 - i);
    }
    const inverse = new Array<number>(perm.length);
    perm.forEach((p, i) => {
      inverse[p] = i;
    });
    return [g.transpose(dy!, inverse)];
  },
};
