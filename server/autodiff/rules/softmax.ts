import type { Emitter } from "../emitter";
import { UnsupportedOpFormError } from "../errors";
import { attrInt, type Dim, type Node } from "../ir";
import type { NodeView } from "./types";
import type { VjpRule } from "./types";

/** Axes a Softmax/LogSoftmax normalizes over: one axis since opset 13, "axis and after" before. */
export function softmaxAxes(n: NodeView, rank: number | undefined): number[] {
  const axisAttr = attrInt(n.node, "axis", n.opset >= 13 ? -1 : 1);
  if (rank === undefined) {
    if (n.opset >= 13) return [axisAttr];
    throw new UnsupportedOpFormError(
      n.node.opType,
      n.node.name,
      "input rank unknown (needed before opset 13)",
    );
  }
  const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
  if (n.opset >= 13) return [axis];
  return Array.from({ length: rank - axis }, (_, i) => axis + i);
}

/** dx = y · (dy − Σ dy·y). */
export const softmax: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const y = n.output(0);
    const axes = softmaxAxes(n, g.rank(y));
    const dot = attentionRowDot(g, n, y, axes) ?? g.reduceSum(g.mul(dy!, y), axes, true);
    return [g.mul(y, g.sub(dy!, dot))];
  },
};

const sameDim = (a: Dim, b: Dim) => a !== null && a === b;

function soleReader(n: NodeView, name: string): Node | undefined {
  const readers = n.readers(name);
  return readers?.length === 1 ? readers[0] : undefined;
}

/** Identity, or a Cast to the type the tensor already has: the values pass unchanged. */
function isValueKeeping(g: Emitter, node: Node, input: string): boolean {
  if (node.domain !== "" || node.inputs[0] !== input) return false;
  if (node.opType === "Identity") return true;
  const type = g.info(input).elemType;
  return node.opType === "Cast" && type !== 0 && attrInt(node, "to", 0) === type;
}

/**
 * Σ_j dy_ij·y_ij for an attention's probabilities: when y's only reader is O = MatMul(y, V) and the softmax
 * runs over y's last axis (the one the MatMul contracts), dy = dO·Vᵀ and Σ_j dy_ij·y_ij = Σ_k dO_ik·O_ik.
 * The row dot then reads O (rows of the head width) instead of y (rows of the sequence length): one pass over
 * the N×N probabilities less — per 64×64 self-attention of the SD UNet at 512 px, 512 MiB per head batch.
 * Identity and same-type Casts between the two are looked through. Null where that does not hold (another
 * reader, a graph output, batch dims y broadcasts, unknown shapes).
 */
function attentionRowDot(g: Emitter, n: NodeView, y: string, axes: number[]): string | null {
  const rank = g.rank(y);
  if (rank === undefined || rank < 2 || axes.length !== 1 || axes[0] !== rank - 1) return null;
  // Exports put a no-op Cast (float32 → float32) between the softmax and its MatMul: look through it.
  let probabilities = y;
  let reader = soleReader(n, probabilities);
  while (reader && isValueKeeping(g, reader, probabilities)) {
    probabilities = reader.outputs[0] ?? "";
    reader = soleReader(n, probabilities);
  }
  if (reader?.domain !== "" || reader.opType !== "MatMul") return null;
  if (reader.inputs[0] !== probabilities || reader.inputs[1] === probabilities) return null;
  const out = reader.outputs[0] ?? "";
  const yShape = g.info(y).shape;
  const outShape = g.info(out).shape;
  if (!yShape || !outShape || yShape.length !== outShape.length) return null;
  if (!yShape.slice(0, -1).every((dim, i) => sameDim(dim, outShape[i] ?? null))) return null;
  const dOut = n.cotangent(out);
  if (!dOut) return null;
  return g.reduceSum(g.mul(dOut, out), [rank - 1], true);
}

/** dx = dy − exp(y) · Σ dy. */
export const logSoftmax: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const y = n.output(0);
    const axes = softmaxAxes(n, g.rank(y));
    const total = g.reduceSum(dy!, axes, true);
    return [g.sub(dy!, g.mul(g.op1("Exp", [y]), total))];
  },
};
