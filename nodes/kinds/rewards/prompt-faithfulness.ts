import { defineRewardKind } from "../types";

export const promptFaithfulnessRewardKind = defineRewardKind({
  id: "prompt-faithfulness",
  order: 8,
  label: "Prompt faithfulness",
  help: "How well the picture matches its prompt, judged by the model's image classifier.",
  params: [],
  requiredPorts: ["conditioning"],
  gradient: "classifier-vjp",
});
