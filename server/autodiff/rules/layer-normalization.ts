import { UnsupportedOpFormError } from "../errors";
import { attrFloat, attrInt } from "../ir";
import { normalize, normalizeBackward, range } from "./norm-helpers";
import type { VjpRule } from "./types";

/** y = scale·x̂ + B, x̂ normalized over axes [axis, rank). */
export const layerNormalization: VjpRule = {
  differentiable: [0, 1, 2],
  broadcasting: [1, 2],
  backward(g, n, [dy, dMean, dInvStd]) {
    if (dMean || dInvStd) {
      throw new UnsupportedOpFormError(
        "LayerNormalization",
        n.node.name,
        "gradient through the Mean/InvStdDev outputs",
      );
    }
    const x = n.input(0);
    const rank = g.rank(x);
    if (rank === undefined)
      throw new UnsupportedOpFormError("LayerNormalization", n.node.name, "input rank unknown");
    let axis = attrInt(n.node, "axis", -1);
    if (axis < 0) axis += rank;
    const axes = range(axis, rank);
    const norm = normalize(g, x, axes, attrFloat(n.node, "epsilon", 1e-5));
    const dx = n.needsGrad(0) ? normalizeBackward(g, g.mul(dy!, n.input(1)), norm, axes) : null;
    const outer = range(0, axis);
    const dScale = n.needsGrad(1) ? g.reduceSum(g.mul(dy!, norm.xhat), outer, false) : null;
    const dBias = n.needsGrad(2) ? g.reduceSum(dy!, outer, false) : null;
    return [dx, dScale, dBias];
  },
};
