import type { VjpRule } from "./types";

/** y = a^p: da = dy · p · a^(p−1), dp = dy · y · ln a. */
export const pow: VjpRule = {
  differentiable: [0, 1],
  broadcasting: true,
  elementwise: true,
  backward(g, n, [dy]) {
    const a = n.input(0);
    const p = n.input(1);
    let da: string | null = null;
    if (n.needsGrad(0)) {
      const constant = n.constValues(1);
      if (constant?.length === 1 && constant[0] === 2) da = g.mul(dy!, g.scale(a, 2));
      else {
        // p may be another type than a (Pow allows it): compute in a's type.
        const pa = g.cast(p, g.elemType(a));
        da = g.mul(dy!, g.mul(pa, g.op1("Pow", [a, g.sub(pa, g.scalarLike(a, 1))])));
      }
    }
    let dp: string | null = null;
    if (n.needsGrad(1)) {
      // y·ln a is 0·(−inf) = NaN at a = 0; PyTorch's convention: 0 where a = 0 and p ≥ 0.
      const raw = g.mul(n.output(0), g.op1("Log", [a]));
      const zeroBase = g.op1("Equal", [a, g.scalarLike(a, 0)]);
      const pNonNegative = g.op1("Not", [g.op1("Less", [p, g.scalarLike(p, 0)])]);
      const atZero = g.op1("And", [zeroBase, pNonNegative]);
      dp = g.mul(dy!, g.op1("Where", [atZero, g.scalarLike(a, 0), raw]));
    }
    return [da, dp];
  },
};
