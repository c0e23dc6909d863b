import { UnsupportedOpFormError } from "../errors";
import type { Emitter } from "../emitter";
import type { VjpRule } from "./types";

function swapLast(g: Emitter, x: string, rank: number): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 1] = rank - 2;
  perm[rank - 2] = rank - 1;
  return g.transpose(x, perm);
}

/**
 * Y = A @ B with numpy semantics (batch broadcasting; a 1-D A is a row, a 1-D B a column, and
 * that unit axis is dropped from Y). dA = dY @ Bᵀ, dB = Aᵀ @ dY, in the broadcast batch shape
 * (the walker sums the broadcast batch axes away).
 */
export const matMul: VjpRule = {
  differentiable: [0, 1],
  broadcasting: true,
  backward(g, n, [dy]) {
    const a = n.input(0);
    const b = n.input(1);
    const ra = g.rank(a);
    const rb = g.rank(b);
    if (ra === undefined || rb === undefined) {
      throw new UnsupportedOpFormError("MatMul", n.node.name, "operand ranks unknown at build time");
    }
    let dy2 = dy!;
    if (rb === 1) dy2 = g.unsqueeze(dy2, [-1]);
    if (ra === 1) dy2 = g.unsqueeze(dy2, [-2]);
    const a2 = ra === 1 ? g.unsqueeze(a, [0]) : a;
    const b2 = rb === 1 ? g.unsqueeze(b, [-1]) : b;
    let da: string | null = null;
    let db: string | null = null;
    if (n.needsGrad(0)) {
      da = g.op1("MatMul", [dy2, swapLast(g, b2, Math.max(rb, 2))]);
      if (ra === 1) da = g.squeeze(da, [-2]);
    }
    if (n.needsGrad(1)) {
      db = g.op1("MatMul", [swapLast(g, a2, Math.max(ra, 2)), dy2]);
      if (rb === 1) db = g.squeeze(db, [-1]);
    }
    return [da, db];
  },
};
