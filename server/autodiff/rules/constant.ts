import type { VjpRule } from "./types";

/** A Constant has no inputs, so nothing flows back; the rule exists so the op is recognised. */
export const constant: VjpRule = {
  differentiable: [],
  backward() {
    return [];
  },
};
