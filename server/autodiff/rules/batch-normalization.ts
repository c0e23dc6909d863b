import { UnsupportedOpFormError } from "../errors";
import { attrFloat, attrInt } from "../ir";
import { range } from "./norm-helpers";
import type { VjpRule } from "./types";

/**
 * Inference-mode BatchNormalization: y = scale·(x − mean)·r + B with r = (var + ε)^(-1/2) per
 * channel, so dmean = −Σ dy·scale·r and dvar = −½ Σ dy·scale·(x − mean)·r³.
 */
export const batchNormalization: VjpRule = {
  differentiable: [0, 1, 2, 3, 4],
  backward(g, n, [dy]) {
    if (attrInt(n.node, "training_mode", 0) === 1) {
      throw new UnsupportedOpFormError(
        "BatchNormalization",
        n.node.name,
        "training_mode=1 (only inference mode)",
      );
    }
    const x = n.input(0);
    const rank = g.rank(x);
    if (rank === undefined)
      throw new UnsupportedOpFormError("BatchNormalization", n.node.name, "input rank unknown");
    const perChannel = (t: string) => g.unsqueeze(t, range(1, rank - 1));
    const epsilon = g.scalarLike(x, attrFloat(n.node, "epsilon", 1e-5));
    const inv = perChannel(g.op1("Reciprocal", [g.op1("Sqrt", [g.add(n.input(4), epsilon)])]));
    const reduceAxes = [0, ...range(2, rank)];
    const dx = n.needsGrad(0) ? g.mul(dy!, g.mul(perChannel(n.input(1)), inv)) : null;
    const centered = n.needsGrad(1) || n.needsGrad(4) ? g.sub(x, perChannel(n.input(3))) : null;
    const xhat = n.needsGrad(1) ? g.mul(centered!, inv) : null;
    const dScale = xhat ? g.reduceSum(g.mul(dy!, xhat), reduceAxes, false) : null;
    const needsSum = n.needsGrad(2) || n.needsGrad(3);
    const sumDy = needsSum ? g.reduceSum(dy!, reduceAxes, false) : null;
    const dBias = n.needsGrad(2) ? sumDy : null;
    // Per-channel factors below are [C]-shaped like the reduced sums.
    const flatInv = () => g.op1("Reciprocal", [g.op1("Sqrt", [g.add(n.input(4), epsilon)])]);
    const dMean = n.needsGrad(3) ? g.op1("Neg", [g.mul(sumDy!, g.mul(n.input(1), flatInv()))]) : null;
    let dVar: string | null = null;
    if (n.needsGrad(4)) {
      const r = flatInv();
      const r3 = g.mul(r, g.mul(r, r));
      const sumDyCentered = g.reduceSum(g.mul(dy!, centered!), reduceAxes, false);
      dVar = g.mul(g.mul(sumDyCentered, g.mul(n.input(1), r3)), g.scalarLike(x, -0.5));
    }
    return [dx, dScale, dBias, dMean, dVar];
  },
};
