import { UnsupportedOpFormError } from "../errors";
import type { Emitter } from "../emitter";
import { DataType, attr, attrString } from "../ir";
import type { NodeView, VjpRule } from "./types";

/** Integer scale factors of the last two axes, when static and the rest are 1. */
function integerScales(g: Emitter, n: NodeView, rank: number): number[] | undefined {
  const scales = n.input(2) ? n.constValues(2) : undefined;
  let factors: number[] | undefined;
  if (scales && scales.length === rank) factors = scales;
  else if (n.input(3)) {
    const sizes = n.constInts(3);
    const shape = g.info(n.input(0)).shape;
    if (sizes && shape && sizes.length === rank) {
      factors = sizes.map((s, i) => {
        const d = shape[i];
        return typeof d === "number" ? s / d : Number.NaN;
      });
    }
  }
  if (!factors || rank < 3) return undefined;
  const lead = factors.slice(0, rank - 2);
  const tail = factors.slice(rank - 2);
  if (lead.some((f) => f !== 1) || tail.some((f) => !Number.isInteger(f) || f < 1)) return undefined;
  return tail;
}

/** Nearest-neighbour modes that map each k×k output block onto one input pixel. */
function isBlockNearest(n: NodeView): boolean {
  if (attrString(n.node, "mode", "nearest") !== "nearest") return false;
  const coordinates = attrString(n.node, "coordinate_transformation_mode", "half_pixel");
  const nearest = attrString(n.node, "nearest_mode", "round_prefer_floor");
  if (coordinates === "asymmetric") return nearest === "floor";
  if (coordinates === "half_pixel" || coordinates === "pytorch_half_pixel") {
    return nearest === "round_prefer_floor" || nearest === "round_prefer_ceil";
  }
  return false;
}

/**
 * The transposed 1-D interpolation matrix of one axis, [inSize, outSize], obtained by resizing
 * an identity matrix with the node's own mode and coordinate attributes.
 */
function interpolationMatrixT(g: Emitter, n: NodeView, axis: number, scale: string | undefined): string {
  const x = n.input(0);
  const inSize = g.dimOf(x, axis);
  const square = g.op1("Concat", [inSize, inSize], [attr.int("axis", 0)]);
  const zeros = g.op1(
    "ConstantOfShape",
    [square],
    [attr.tensor("value", { name: "zero", dataType: DataType.FLOAT, dims: [1], floatData: [0] })],
  );
  const eye = g.op1("EyeLike", [zeros]);
  const resizeAttrs = n.node.attributes.filter((a) => a.name !== "axes");
  // Opset 11 requires roi and scales (empty tensors stand for "not given"); 13+ takes "".
  const empty = () => (n.opset < 13 ? g.constant(DataType.FLOAT, [0], []) : "");
  if (scale) {
    const scales = g.op1("Concat", [g.constant(DataType.FLOAT, [1], [1]), scale], [attr.int("axis", 0)]);
    return g.op1("Resize", [eye, empty(), scales], resizeAttrs);
  }
  const outSize = g.dimOf(n.output(0), axis);
  const sizes = g.op1("Concat", [inSize, outSize], [attr.int("axis", 0)]);
  return g.op1("Resize", [eye, empty(), empty(), sizes], resizeAttrs);
}

/**
 * Resize (nearest, linear, cubic) of the last two axes is separable and linear in x:
 * y = A_H · x · A_Wᵀ, so dx = A_Hᵀ · dy · A_W. Block nearest with integer factors is a sum
 * over k×k blocks (AveragePool × k²), which avoids the matrices.
 */
export const resize: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const x = n.input(0);
    const rank = g.rank(x);
    if (rank === undefined || rank < 2)
      throw new UnsupportedOpFormError("Resize", n.node.name, "input rank unknown");
    if (attrString(n.node, "coordinate_transformation_mode", "half_pixel") === "tf_crop_and_resize") {
      throw new UnsupportedOpFormError("Resize", n.node.name, "tf_crop_and_resize");
    }
    const factors = integerScales(g, n, rank);
    if (factors && isBlockNearest(n)) {
      if (factors.every((f) => f === 1)) return [dy];
      const pooled = g.op1(
        "AveragePool",
        [dy!],
        [attr.ints("kernel_shape", factors), attr.ints("strides", factors)],
      );
      return [g.scale(pooled, factors[0]! * factors[1]!)];
    }
    const scalesGiven = n.input(2) !== "" && !n.input(3);
    const scaleOf = (axis: number): string | undefined => {
      if (!scalesGiven) return undefined;
      return g.op1("Slice", [n.input(2), g.ints([axis]), g.ints([axis + 1])]);
    };
    const checkLead = n.input(2) && scalesGiven ? n.constValues(2) : undefined;
    if (checkLead?.slice(0, rank - 2).some((f) => f !== 1)) {
      throw new UnsupportedOpFormError("Resize", n.node.name, "resizing other than the last two axes");
    }
    const floatDy = g.cast(dy!, DataType.FLOAT);
    const hT = interpolationMatrixT(g, n, rank - 2, scaleOf(rank - 2));
    const wT = interpolationMatrixT(g, n, rank - 1, scaleOf(rank - 1));
    const left = g.op1("MatMul", [hT, floatDy]);
    const both = g.op1("MatMul", [left, g.transpose(wT, [1, 0])]);
    return [g.cast(both, g.elemType(x))];
  },
};
