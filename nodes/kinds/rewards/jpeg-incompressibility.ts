import { defineRewardKind } from "../types";

export const jpegIncompressibilityRewardKind = defineRewardKind({
  id: "jpeg-incompressibility",
  order: 6,
  label: "JPEG incompressibility (bigger file, more detail)",
  help: "A bigger JPEG file (more detail) scores higher. It has no gradient: use the hybrid or zeroth-order estimator.",
  params: ["jpegQuality"],
  gradient: "none",
});
