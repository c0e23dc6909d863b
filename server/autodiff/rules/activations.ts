import { attrFloat } from "../ir";
import type { VjpRule } from "./types";

/** y = log(1 + eˣ): dx = dy·σ(x). */
export const softplus: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    return [g.mul(dy!, g.op1("Sigmoid", [n.input(0)]))];
  },
};

/** y = x (x > 0), α(eˣ − 1) otherwise: dx = dy, or dy·(y + α). */
export const elu: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const x = n.input(0);
    const alpha = attrFloat(n.node, "alpha", 1);
    const negative = g.mul(dy!, g.add(n.output(0), g.scalarLike(x, alpha)));
    return [g.op1("Where", [g.op1("Greater", [x, g.scalarLike(x, 0)]), dy!, negative])];
  },
};

/** y = max(0, min(1, αx + β)): dx = α·dy inside the linear part. */
export const hardSigmoid: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const x = n.input(0);
    const alpha = attrFloat(n.node, "alpha", 0.2);
    const beta = attrFloat(n.node, "beta", 0.5);
    const z = g.add(g.scale(x, alpha), g.scalarLike(x, beta));
    const inside = g.op1("And", [
      g.op1("Greater", [z, g.scalarLike(x, 0)]),
      g.op1("Less", [z, g.scalarLike(x, 1)]),
    ]);
    return [g.op1("Where", [inside, g.scale(dy!, alpha), g.scalarLike(x, 0)])];
  },
};

/** y = x·hardsigmoid(x) with α = 1/6, β = ½: dx = dy·0 (x < −3), dy (x > 3), dy·(2x + 3)/6. */
export const hardSwish: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const x = n.input(0);
    const middle = g.mul(dy!, g.add(g.scale(x, 1 / 3), g.scalarLike(x, 0.5)));
    const high = g.op1("Where", [g.op1("Greater", [x, g.scalarLike(x, 3)]), dy!, middle]);
    return [g.op1("Where", [g.op1("Less", [x, g.scalarLike(x, -3)]), g.scalarLike(x, 0), high])];
  },
};

/** y = x (x > 0), slope·x otherwise; slope broadcasts. */
export const prelu: VjpRule = {
  differentiable: [0, 1],
  broadcasting: true,
  elementwise: true,
  backward(g, n, [dy]) {
    const x = n.input(0);
    const positive = g.op1("Greater", [x, g.scalarLike(x, 0)]);
    const zero = g.scalarLike(x, 0);
    return [
      n.needsGrad(0) ? g.op1("Where", [positive, dy!, g.mul(dy!, n.input(1))]) : null,
      n.needsGrad(1) ? g.op1("Where", [positive, zero, g.mul(dy!, x)]) : null,
    ];
  },
};
