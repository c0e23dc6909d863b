import type { VjpRule } from "./types";

/** Variadic Max / Min: the cotangent goes to the input(s) equal to the result (ties share it). */
export const maxMin: VjpRule = {
  differentiable: Array.from({ length: 64 }, (_, i) => i),
  broadcasting: true,
  elementwise: true,
  backward(g, n, [dy]) {
    const y = n.output(0);
    const zero = g.scalarLike(y, 0);
    const masks = n.node.inputs.map((x) => g.op1("Equal", [x, y]));
    const counts = masks.map((m) => g.cast(m, g.elemType(y))).reduce((a, b) => g.add(a, b));
    const share = g.div(dy!, counts);
    return n.node.inputs.map((_, i) => (n.needsGrad(i) ? g.op1("Where", [masks[i]!, share, zero]) : null));
  },
};
