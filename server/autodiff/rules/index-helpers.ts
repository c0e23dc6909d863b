/**
 * The "positions" trick for ops that move elements around (Slice, Gather, MaxPool, padding
 * modes): apply the forward op to a tensor holding each element's flat position, then scatter
 * the cotangent back to those positions. Works for dynamic shapes and any index pattern.
 */
import { UnsupportedOpFormError } from "../errors";
import type { Emitter } from "../emitter";
import { DataType, attr, makeTensor } from "../ir";

/** ScatterElements has reduction="add" from this opset on. */
export const SCATTER_ADD_OPSET = 16;
/** The refusal's reason; `buildVjpIr` recognizes it and retries with the VJP model's opset raised. */
export const SCATTER_ADD_REFUSAL =
  "scatter-add of repeated indices needs opset >= 16, and the model's opset could not be raised " +
  "(it is below 13, or the model uses an op whose meaning changed by opset 16: re-export it at opset 16 or later)";

/** int64 tensor shaped like x whose elements are 0, 1, 2, … in row-major order. */
export function positionsLike(g: Emitter, x: string): string {
  const size = g.op1("Size", [x]);
  const flat = g.op1("Range", [g.intScalar(0), size, g.intScalar(1)]);
  const out = g.reshapeLike(flat, x);
  g.setInfo(out, { elemType: DataType.INT64, shape: g.info(x).shape });
  return out;
}

/**
 * Zeros shaped like x plus dy scattered to `positions` (a tensor shaped like dy holding flat
 * positions into x). `duplicates`: positions may repeat, so contributions must add (opset ≥ 16).
 */
export function scatterToPositions(
  g: Emitter,
  x: string,
  positions: string,
  dy: string,
  duplicates: boolean,
  opName: string,
  nodeName: string,
): string {
  if (duplicates && g.opset < SCATTER_ADD_OPSET) {
    throw new UnsupportedOpFormError(opName, nodeName, SCATTER_ADD_REFUSAL);
  }
  const zero = makeTensor(g.fresh("zero"), g.elemType(dy), [1], [0]);
  const size = g.reshape(g.op1("Size", [x]), [1]);
  const zeros = g.op1("ConstantOfShape", [size], [attr.tensor("value", zero)]);
  const attrs = [attr.int("axis", 0)];
  if (duplicates) attrs.push(attr.string("reduction", "add"));
  const flat = g.op1("ScatterElements", [zeros, g.reshape(positions, [-1]), g.reshape(dy, [-1])], attrs);
  return g.reshapeLike(flat, x);
}
