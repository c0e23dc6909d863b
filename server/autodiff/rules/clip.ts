import type { VjpRule } from "./types";

/** dx = dy where min ≤ x ≤ max (bounds are inputs since opset 11, the oldest opset supported). */
export const clip: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const x = n.input(0);
    const min = n.input(1);
    const max = n.input(2);
    const masks: string[] = [];
    // Not(Less)/Not(Greater) rather than GreaterOrEqual/LessOrEqual, which need opset 12.
    if (min) masks.push(g.op1("Not", [g.op1("Less", [x, min])]));
    if (max) masks.push(g.op1("Not", [g.op1("Greater", [x, max])]));
    if (masks.length === 0) return [dy];
    const mask = masks.length === 2 ? g.op1("And", [masks[0]!, masks[1]!]) : masks[0]!;
    return [g.op1("Where", [mask, dy!, g.scalarLike(x, 0)])];
  },
};
