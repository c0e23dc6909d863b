import { attr } from "../ir";
import type { VjpRule } from "./types";

/**
 * OneHot(indices, depth, values=[off, on]) is off where the mask is 0 and on where it is 1, so
 * d_on = Σ dy·mask and d_off = Σ dy − d_on. The mask is the same OneHot with values [0, 1].
 * Indices and depth are integers (no gradient).
 */
export const oneHot: VjpRule = {
  differentiable: [2],
  backward(g, n, [dy]) {
    const values = n.input(2);
    const type = g.elemType(values);
    const mask = g.op1(
      "OneHot",
      [n.input(0), n.input(1), g.constant(type, [2], [0, 1])],
      n.node.attributes.filter((a) => a.name === "axis"),
    );
    const flatDy = g.reshape(dy!, [-1]);
    const total = g.reduceSum(flatDy, [0], true);
    const on = g.reduceSum(g.mul(flatDy, g.reshape(mask, [-1])), [0], true);
    const off = g.sub(total, on);
    return [null, null, g.op1("Concat", [off, on], [attr.int("axis", 0)])];
  },
};
