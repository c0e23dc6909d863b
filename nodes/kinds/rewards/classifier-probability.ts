import { defineRewardKind } from "../types";

export const classifierProbabilityRewardKind = defineRewardKind({
  id: "classifier-probability",
  order: 7,
  label: "Classifier probability of a class",
  help: "How sure the model's image classifier is that the picture shows the target class.",
  params: ["target"],
  gradient: "classifier-vjp",
});
