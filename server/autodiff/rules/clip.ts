import type { VjpRule } from "./types";

/**
 * dx = dy where min ≤ x ≤ max (bounds are inputs since opset 11, the oldest opset supported).
 * The bounds get the cotangent where they are the output: dmin = Σ dy where x < min, dmax =
 * Σ dy where x > max (the walker sums the full-shape cotangent down to the bound's shape).
 */
export const clip: VjpRule = {
  differentiable: [0, 1, 2],
  broadcasting: [1, 2],
  backward(g, n, [dy]) {
    const x = n.input(0);
    const min = n.input(1);
    const max = n.input(2);
    const zero = g.scalarLike(x, 0);
    const below = min ? g.op1("Less", [x, min]) : null;
    const above = max ? g.op1("Greater", [x, max]) : null;
    const masks: string[] = [];
    // Not(Less)/Not(Greater) rather than GreaterOrEqual/LessOrEqual, which need opset 12.
    if (below) masks.push(g.op1("Not", [below]));
    if (above) masks.push(g.op1("Not", [above]));
    let dx: string | null = null;
    if (n.needsGrad(0)) {
      if (masks.length === 0) dx = dy!;
      else {
        const mask = masks.length === 2 ? g.op1("And", [masks[0]!, masks[1]!]) : masks[0]!;
        dx = g.op1("Where", [mask, dy!, zero]);
      }
    }
    // The output is Min(Max(x, min), max): with min > max it is max everywhere.
    const inverted = below && above ? g.op1("Greater", [min, max]) : null;
    const takesMin = inverted ? g.op1("And", [below!, g.op1("Not", [inverted])]) : below;
    const takesMax = inverted ? g.op1("Or", [above!, inverted]) : above;
    const dMin = takesMin && n.needsGrad(1) ? g.op1("Where", [takesMin, dy!, zero]) : null;
    const dMax = takesMax && n.needsGrad(2) ? g.op1("Where", [takesMax, dy!, zero]) : null;
    return [dx, dMin, dMax];
  },
};
