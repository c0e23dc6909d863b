import { defineGuardKind } from "../types";

export const probabilityRegularizationGuardKind = defineGuardKind({
  id: "probability-regularization",
  order: 1,
  label: "Probability regularization (reward-hacking meter)",
  help:
    "The method's own guard: a penalty that stays flat while the noise still looks like a typical random " +
    "sample and rises steeply once it drifts away; its value is the reward-hacking meter, shown as a percentile " +
    "of what fresh random noise of the same size scores.",
  params: ["gamma", "firesAtPercentile", "permutations", "blockSize"],
  attachTo: "noise",
  whenFired:
    "the noise drifted toward reward hacking (it no longer looked like typical random noise) and the update was pulled back toward typical noise.",
  whenQuiet: "the noise stayed typical of random noise: no sign of reward hacking.",
  reportKeys: () => ["probability-regularization"],
});
