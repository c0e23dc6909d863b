import { attr, attrInt } from "../ir";
import type { VjpRule } from "./types";

/** Concatenate the output cotangents (zeros for outputs that do not reach the objective). */
export const split: VjpRule = {
  differentiable: [0],
  backward(g, n, dy) {
    const rank = g.rank(n.input(0));
    let axis = attrInt(n.node, "axis", 0);
    if (axis < 0 && rank !== undefined) axis += rank;
    const parts = n.node.outputs.map((y, i) => dy[i] ?? g.zerosLike(y));
    return [g.op1("Concat", parts, [attr.int("axis", axis)])];
  },
};
