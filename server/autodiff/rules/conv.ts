import { convInputGrad, convParams, convWeightGrad } from "./conv-helpers";
import type { VjpRule } from "./types";

/** Conv(x, W, B): dx by a convolution or ConvTranspose (convInputGrad), dW by a convolution of x with dy, dB = Σ dy. */
export const conv: VjpRule = {
  differentiable: [0, 1, 2],
  backward(g, n, [dy]) {
    const x = n.input(0);
    const w = n.input(1);
    const p = convParams(g, n, w);
    const rank = p.kernel.length;
    return [
      n.needsGrad(0) ? convInputGrad(g, dy!, w, x, p, n.inlineInitializer(1)) : null,
      n.needsGrad(1) ? convWeightGrad(g, x, dy!, w, p) : null,
      n.needsGrad(2) ? g.reduceSum(dy!, [0, ...Array.from({ length: rank }, (_, i) => i + 2)], false) : null,
    ];
  },
};
