import { UnsupportedOpFormError } from "../errors";
import { attrFloat, attrInt } from "../ir";
import { range } from "./norm-helpers";
import type { VjpRule } from "./types";

/** Inference-mode BatchNormalization: an affine map per channel with the running statistics. */
export const batchNormalization: VjpRule = {
  differentiable: [0, 1, 2],
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
    const xhat = n.needsGrad(1) ? g.mul(g.sub(x, perChannel(n.input(3))), inv) : null;
    const dScale = xhat ? g.reduceSum(g.mul(dy!, xhat), reduceAxes, false) : null;
    const dBias = n.needsGrad(2) ? g.reduceSum(dy!, reduceAxes, false) : null;
    return [dx, dScale, dBias];
  },
};
