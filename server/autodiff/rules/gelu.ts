import { attrString } from "../ir";
import type { VjpRule } from "./types";

/**
 * Gelu (opset 20). Exact: y = x·Φ(x), dy/dx = Φ(x) + x·φ(x).
 * approximate="tanh": y = ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³),
 * dy/dx = ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²).
 */
export const gelu: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const x = n.input(0);
    const c = (v: number) => g.scalarLike(x, v);
    const x2 = g.mul(x, x);
    if (attrString(n.node, "approximate", "none") === "tanh") {
      const k = Math.sqrt(2 / Math.PI);
      const u = g.mul(g.scale(x, k), g.add(c(1), g.scale(x2, 0.044715)));
      const t = g.op1("Tanh", [u]);
      const du = g.scale(g.add(c(1), g.scale(x2, 3 * 0.044715)), k);
      const left = g.scale(g.add(c(1), t), 0.5);
      const right = g.mul(g.scale(x, 0.5), g.mul(g.sub(c(1), g.mul(t, t)), du));
      return [g.mul(dy!, g.add(left, right))];
    }
    const cdf = g.scale(g.add(c(1), g.op1("Erf", [g.scale(x, Math.SQRT1_2)])), 0.5);
    const pdf = g.scale(g.op1("Exp", [g.scale(x2, -0.5)]), 1 / Math.sqrt(2 * Math.PI));
    return [g.mul(dy!, g.add(cdf, g.mul(x, pdf)))];
  },
};
