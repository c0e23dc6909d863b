import type { Emitter } from "../emitter";
import { DataType, attr } from "../ir";

export interface Normalized {
  /** (x − mean)·inv */
  xhat: string;
  /** 1/√(var + ε) (keepdims shape) */
  inv: string;
}

/** Recompute the normalization of x over `axes` (biased variance, as every ONNX norm op uses). */
export function normalize(g: Emitter, x: string, axes: number[], epsilon: number): Normalized {
  const shape = g.info(x).shape;
  const first = axes[0];
  const trailing =
    shape !== null &&
    first !== undefined &&
    axes.every((a, i) => a === first + i) &&
    first + axes.length === shape.length;
  const normalizedDims = trailing ? shape.slice(first) : [];
  // onnxruntime computes LayerNormalization statistics in float (stash_type 1) only: keep the
  // explicit form for double models so they stay double-accurate.
  const isFloat32 = g.elemType(x) === DataType.FLOAT;
  if (g.opset >= 17 && isFloat32 && trailing && normalizedDims.every((d) => typeof d === "number")) {
    // One fused LayerNormalization with unit scale gives x̂ and 1/σ directly (its optional
    // outputs), instead of ~8 separate reductions and elementwise ops.
    const dims = normalizedDims as number[];
    const ones = g.constant(g.elemType(x), dims, new Array(dims.reduce((a, b) => a * b, 1)).fill(1));
    const [xhat, , inv] = g.op(
      "LayerNormalization",
      [x, ones],
      [attr.int("axis", first), attr.float("epsilon", epsilon)],
      3,
    );
    return { xhat: xhat!, inv: inv! };
  }
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
