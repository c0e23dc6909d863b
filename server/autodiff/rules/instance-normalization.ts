import { UnsupportedOpFormError } from "../errors";
import { attrFloat } from "../ir";
import { normalize, normalizeBackward, range } from "./norm-helpers";
import type { VjpRule } from "./types";

/** y = scale[c]·x̂ + B[c], x̂ normalized over the spatial axes of each (n, c). */
export const instanceNormalization: VjpRule = {
  differentiable: [0, 1, 2],
  backward(g, n, [dy]) {
    const x = n.input(0);
    const rank = g.rank(x);
    if (rank === undefined)
      throw new UnsupportedOpFormError("InstanceNormalization", n.node.name, "input rank unknown");
    const spatial = range(2, rank);
    const norm = normalize(g, x, spatial, attrFloat(n.node, "epsilon", 1e-5));
    // Exporters (torch's GroupNorm) often pass a constant unit scale: skip multiplying by it.
    const unitScale = n.constValues(1)?.every((v) => v === 1) ?? false;
    const dxhat = unitScale ? dy! : g.mul(dy!, g.unsqueeze(n.input(1), range(1, rank - 1)));
    const dx = n.needsGrad(0) ? normalizeBackward(g, dxhat, norm, spatial) : null;
    const dScale = n.needsGrad(1) ? g.reduceSum(g.mul(dy!, norm.xhat), [0, ...spatial], false) : null;
    const dBias = n.needsGrad(2) ? g.reduceSum(dy!, [0, ...spatial], false) : null;
    return [dx, dScale, dBias];
  },
};
