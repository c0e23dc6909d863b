import { createPromptFaithfulnessReward } from "@/server/dno/rewards/classifier";
import { ExecutorError } from "@/server/executor/errors";
import { defineRewardImplementation } from "../types";

export const promptFaithfulnessRewardImplementation = defineRewardImplementation("prompt-faithfulness", {
  async create({ planned, classifier }) {
    const model = await classifier();
    try {
      return createPromptFaithfulnessReward({ classifier: model, prompt: planned.promptText, mode: "prob" });
    } catch (error) {
      // The prompt names nothing the classifier knows: the workflow, not the model, must change.
      throw new ExecutorError(
        "PLAN_REFUSED",
        `${planned.displayName}: ${error instanceof Error ? error.message : String(error)}`,
        { nodeId: planned.id, cause: error },
      );
    }
  },
});
