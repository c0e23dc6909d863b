import { attr, attrInt } from "../ir";
import type { VjpRule } from "./types";

/** Split the cotangent along the concat axis, one piece per input. */
export const concat: VjpRule = {
  differentiable: Array.from({ length: 256 }, (_, i) => i),
  backward(g, n, [dy]) {
    const inputs = n.node.inputs;
    const rank = g.rank(n.output(0)) ?? g.rank(inputs[0]!);
    let axis = attrInt(n.node, "axis", 0);
    if (axis < 0 && rank !== undefined) axis += rank;
    const sizes = inputs.map((x) => g.info(x).shape?.[axis]);
    const allStatic = sizes.every((s) => typeof s === "number");
    let splitSizes: string;
    if (allStatic) splitSizes = g.ints(sizes as number[]);
    else
      splitSizes = g.op1(
        "Concat",
        inputs.map((x) => g.dimOf(x, axis)),
        [attr.int("axis", 0)],
      );
    const attrs = [attr.int("axis", axis)];
    const pieces =
      n.opset >= 13
        ? g.op("Split", [dy!, splitSizes], attrs, inputs.length)
        : g.op("Split", [dy!], [...attrs, attr.ints("split", sizes as number[])], inputs.length);
    for (const [i, p] of pieces.entries()) g.setInfo(p, g.info(inputs[i]!));
    return pieces;
  },
};
