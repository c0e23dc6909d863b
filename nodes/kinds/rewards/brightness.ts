import { defineRewardKind } from "../types";

export const brightnessRewardKind = defineRewardKind({
  id: "brightness",
  order: 1,
  label: "Brightness (lighter is better)",
  help: "The mean brightness of the picture: lighter scores higher.",
  params: [],
  gradient: "analytic",
});
