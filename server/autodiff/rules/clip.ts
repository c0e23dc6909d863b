import { attrFloat, hasAttr } from "../ir";
import type { VjpRule } from "./types";

/** dx = dy where min ≤ x ≤ max (bounds are inputs since opset 11, attributes before). */
export const clip: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const x = n.input(0);
    let min = n.input(1);
    let max = n.input(2);
    if (n.opset < 11) {
      min = hasAttr(n.node, "min") ? g.scalarLike(x, attrFloat(n.node, "min", 0)) : "";
      max = hasAttr(n.node, "max") ? g.scalarLike(x, attrFloat(n.node, "max", 0)) : "";
    }
    const masks: string[] = [];
    if (min) masks.push(g.op1("GreaterOrEqual", [x, min]));
    if (max) masks.push(g.op1("LessOrEqual", [x, max]));
    if (masks.length === 0) return [dy];
    const mask = masks.length === 2 ? g.op1("And", [masks[0]!, masks[1]!]) : masks[0]!;
    return [g.op1("Where", [mask, dy!, g.scalarLike(x, 0)])];
  },
};
