import { defineRewardKind } from "../types";

export const jpegCompressibilityRewardKind = defineRewardKind({
  id: "jpeg-compressibility",
  order: 5,
  label: "JPEG compressibility (smaller file, simpler picture)",
  help: "A smaller JPEG file scores higher. It has no gradient: use the hybrid or zeroth-order estimator.",
  params: ["jpegQuality"],
  gradient: "none",
  // The engine's value is −kB (smaller is better); people see how much smaller than at the start.
  shownAs: { relativeToStart: "saved", what: "JPEG size" },
});
