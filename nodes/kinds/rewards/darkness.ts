import { defineRewardKind } from "../types";

export const darknessRewardKind = defineRewardKind({
  id: "darkness",
  order: 2,
  label: "Darkness (darker is better)",
  help: "The opposite of brightness: darker scores higher.",
  params: [],
  gradient: "analytic",
});
