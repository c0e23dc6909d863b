import { defineGuardKind } from "../types";

export const probabilityRegularizationGuardKind = defineGuardKind({
  id: "probability-regularization",
  order: 1,
  label: "Probability regularization (reward-hacking meter)",
  help:
    "The method's own guard: a penalty that stays flat while the noise still looks like a typical random " +
    "sample and rises steeply once it drifts away; its value is the reward-hacking meter.",
  params: ["gamma", "permutations", "blockSize"],
  attachTo: "noise",
  reportKeys: () => ["probability-regularization"],
});
