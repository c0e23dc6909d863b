import { UnsupportedOpFormError } from "../errors";
import { attrFloat, attrInt } from "../ir";
import { normalize, normalizeBackward, range } from "./norm-helpers";
import type { VjpRule } from "./types";

/**
 * GroupNormalization: x [N, C, ...] viewed as [N, G, C/G·...], normalized per group.
 * Opset 21 has per-channel scale/bias [C]; opsets 18–20 per-group [G].
 */
export const groupNormalization: VjpRule = {
  differentiable: [0, 1, 2],
  backward(g, n, [dy]) {
    const x = n.input(0);
    const rank = g.rank(x);
    if (rank === undefined)
      throw new UnsupportedOpFormError("GroupNormalization", n.node.name, "input rank unknown");
    const groups = attrInt(n.node, "num_groups", 1);
    const perChannel = n.opset >= 21;
    const grouped = (t: string) => g.reshape(t, [0, groups, -1]);
    const xg = grouped(x);
    const norm = normalize(g, xg, [2], attrFloat(n.node, "epsilon", 1e-5));
    const spatial = range(2, rank);
    let dx: string | null = null;
    if (n.needsGrad(0)) {
      const dxhat = perChannel
        ? grouped(g.mul(dy!, g.unsqueeze(n.input(1), range(1, rank - 1))))
        : g.mul(grouped(dy!), g.unsqueeze(n.input(1), [1]));
      dx = g.reshapeLike(normalizeBackward(g, dxhat, norm, [2]), x);
    }
    let dScale: string | null = null;
    let dBias: string | null = null;
    if (perChannel) {
      if (n.needsGrad(1))
        dScale = g.reduceSum(g.mul(dy!, g.reshapeLike(norm.xhat, x)), [0, ...spatial], false);
      if (n.needsGrad(2)) dBias = g.reduceSum(dy!, [0, ...spatial], false);
    } else {
      if (n.needsGrad(1)) dScale = g.reduceSum(g.mul(grouped(dy!), norm.xhat), [0, 2], false);
      if (n.needsGrad(2)) dBias = g.reduceSum(grouped(dy!), [0, 2], false);
    }
    return [dx, dScale, dBias];
  },
};
