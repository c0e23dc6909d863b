import { UnsupportedOpFormError } from "../errors";
import { attr, attrInts, attrString } from "../ir";
import { convParams, convWeightGrad } from "./conv-helpers";
import type { VjpRule } from "./types";

/**
 * ConvTranspose is the adjoint of Conv with the same weight: dx = Conv(dy, W) with the same
 * strides/pads/dilations/group (output_padding only adds rows no input reaches).
 * dW: the Conv weight gradient with the roles of x and dy exchanged.
 */
export const convTranspose: VjpRule = {
  differentiable: [0, 1, 2],
  backward(g, n, [dy]) {
    if (attrInts(n.node, "output_shape") || attrString(n.node, "auto_pad", "NOTSET") !== "NOTSET") {
      throw new UnsupportedOpFormError(
        "ConvTranspose",
        n.node.name,
        "output_shape/auto_pad forms (use explicit pads)",
      );
    }
    const x = n.input(0);
    const w = n.input(1);
    const p = convParams(g, n, w);
    const rank = p.kernel.length;
    const dx = n.needsGrad(0)
      ? g.op1(
          "Conv",
          [dy!, w],
          [
            attr.ints("strides", p.strides),
            attr.ints("dilations", p.dilations),
            attr.ints("pads", p.pads),
            attr.int("group", p.group),
            attr.ints("kernel_shape", p.kernel),
          ],
        )
      : null;
    return [
      dx,
      n.needsGrad(1) ? convWeightGrad(g, dy!, x, w, p) : null,
      n.needsGrad(2) ? g.reduceSum(dy!, [0, ...Array.from({ length: rank }, (_, i) => i + 2)], false) : null,
    ];
  },
};
