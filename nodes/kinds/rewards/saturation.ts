import { defineRewardKind } from "../types";

export const saturationRewardKind = defineRewardKind({
  id: "saturation",
  order: 3,
  label: "Saturation (more colourful is better)",
  help: "How colourful the picture is: stronger colours score higher.",
  params: [],
  gradient: "analytic",
});
