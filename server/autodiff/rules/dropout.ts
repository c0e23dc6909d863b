import { UnsupportedOpFormError } from "../errors";
import type { VjpRule } from "./types";

/**
 * Dropout at inference is the identity (the mask output carries no gradient). Training mode
 * (opset ≥ 12 `training_mode` input true, or not known at build time) draws a random mask, and
 * the VJP model recomputes the forward, so its mask would differ from the forward run's: refused
 * rather than treated as the identity.
 */
export const dropout: VjpRule = {
  differentiable: [0],
  backward(_g, n, [dy]) {
    const mode = n.input(2);
    if (n.opset >= 12 && mode) {
      const value = n.constValues(2);
      if (value === undefined || value.length !== 1) {
        throw new UnsupportedOpFormError(
          "Dropout",
          n.node.name,
          `training_mode '${mode}' is not a constant, and in training mode the mask is random. ` +
            "Export the model in inference mode (training_mode false or absent)",
        );
      }
      if (value[0] !== 0) {
        throw new UnsupportedOpFormError(
          "Dropout",
          n.node.name,
          "training_mode is true: its mask is random, so the gradient is not reproducible. " +
            "Export the model in inference mode (training_mode false or absent)",
        );
      }
    }
    return [dy];
  },
};
