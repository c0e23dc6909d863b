import { attrFloat } from "../ir";
import type { VjpRule } from "./types";

/** y = x if x > 0 else alpha·x. */
export const leakyRelu: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const x = n.input(0);
    const alpha = attrFloat(n.node, "alpha", 0.01);
    const positive = g.op1("Greater", [x, g.scalarLike(x, 0)]);
    return [g.op1("Where", [positive, dy!, g.scale(dy!, alpha)])];
  },
};
