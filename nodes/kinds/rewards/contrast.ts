import { defineRewardKind } from "../types";

export const contrastRewardKind = defineRewardKind({
  id: "contrast",
  order: 4,
  label: "Contrast",
  help: "How much the pixels differ from the picture's mean brightness.",
  params: [],
  gradient: "analytic",
});
