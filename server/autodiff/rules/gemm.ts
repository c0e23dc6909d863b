import { attr, attrFloat, attrInt } from "../ir";
import type { VjpRule } from "./types";

/** Y = α·A'B' + β·C with A' = transA ? Aᵀ : A, B' likewise; each gradient is itself a Gemm. */
export const gemm: VjpRule = {
  differentiable: [0, 1, 2],
  broadcasting: [2],
  backward(g, n, [dy]) {
    const a = n.input(0);
    const b = n.input(1);
    const alpha = attrFloat(n.node, "alpha", 1);
    const beta = attrFloat(n.node, "beta", 1);
    const transA = attrInt(n.node, "transA", 0);
    const transB = attrInt(n.node, "transB", 0);
    const gemmOf = (p: string, q: string, ta: number, tb: number) =>
      g.op1("Gemm", [p, q], [attr.float("alpha", alpha), attr.int("transA", ta), attr.int("transB", tb)]);
    let da: string | null = null;
    let db: string | null = null;
    if (n.needsGrad(0)) da = transA ? gemmOf(b, dy!, transB, 1) : gemmOf(dy!, b, 0, transB ? 0 : 1);
    if (n.needsGrad(1)) db = transB ? gemmOf(dy!, a, 1, transA) : gemmOf(a, dy!, transA ? 0 : 1, 0);
    const dc = n.needsGrad(2) ? g.scale(dy!, beta) : null;
    return [da, db, dc];
  },
};
