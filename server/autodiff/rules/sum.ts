import type { VjpRule } from "./types";

/** Variadic Sum / Mean with broadcasting. */
export const sum: VjpRule = {
  differentiable: Array.from({ length: 64 }, (_, i) => i),
  broadcasting: true,
  elementwise: true,
  backward(g, n, [dy]) {
    const count = n.node.inputs.length;
    const grad = n.node.opType === "Mean" ? g.scale(dy!, 1 / count) : dy!;
    return n.node.inputs.map(() => grad);
  },
};
