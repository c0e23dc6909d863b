import type { Emitter } from "../emitter";

export interface Normalized {
  /** (x − mean)·inv */
  xhat: string;
  /** 1/√(var + ε) (keepdims shape) */
  inv: string;
}

/** Recompute the normalization of x over `axes` (biased variance, as every ONNX norm op uses). */
export function normalize(g: Emitter, x: string, axes: number[], epsilon: number): Normalized {
  const mean = g.reduceMean(x, axes, true);
  const centered = g.sub(x, mean);
  const variance = g.reduceMean(g.mul(centered, centered), axes, true);
  const inv = g.op1("Reciprocal", [g.op1("Sqrt", [g.add(variance, g.scalarLike(x, epsilon))])]);
  return { xhat: g.mul(centered, inv), inv };
}

/** dx = inv·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) over the normalized axes. */
export function normalizeBackward(g: Emitter, dxhat: string, norm: Normalized, axes: number[]): string {
  const meanGrad = g.reduceMean(dxhat, axes, true);
  const meanProj = g.reduceMean(g.mul(dxhat, norm.xhat), axes, true);
  return g.mul(norm.inv, g.sub(g.sub(dxhat, meanGrad), g.mul(norm.xhat, meanProj)));
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}
