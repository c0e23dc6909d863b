import { UnsupportedOpFormError } from "../errors";
import { attrString } from "../ir";
import type { VjpRule } from "./types";

function checkNoReduction(opType: string, name: string, reduction: string): void {
  if (reduction !== "none") throw new UnsupportedOpFormError(opType, name, `reduction='${reduction}'`);
}

/** ScatterND(data, indices, updates): data keeps dy except where overwritten; updates gather dy. */
export const scatterND: VjpRule = {
  differentiable: [0, 2],
  backward(g, n, [dy]) {
    checkNoReduction("ScatterND", n.node.name, attrString(n.node, "reduction", "none"));
    const indices = n.input(1);
    const dData = n.needsGrad(0) ? g.op1("ScatterND", [dy!, indices, g.zerosLike(n.input(2))]) : null;
    const dUpdates = n.needsGrad(2) ? g.op1("GatherND", [dy!, indices]) : null;
    return [dData, null, dUpdates];
  },
};

export const scatterElements: VjpRule = {
  differentiable: [0, 2],
  backward(g, n, [dy]) {
    checkNoReduction("ScatterElements", n.node.name, attrString(n.node, "reduction", "none"));
    const indices = n.input(1);
    const axisAttrs = n.node.attributes.filter((a) => a.name === "axis");
    const dData = n.needsGrad(0)
      ? g.op1("ScatterElements", [dy!, indices, g.zerosLike(n.input(2))], axisAttrs)
      : null;
    const dUpdates = n.needsGrad(2) ? g.op1("GatherElements", [dy!, indices], axisAttrs) : null;
    return [dData, null, dUpdates];
  },
};
