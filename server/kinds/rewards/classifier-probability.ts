import { parseClassifierTarget } from "@/nodes/defs/reward";
import { createClassProbabilityReward } from "@/server/dno/rewards/classifier";
import { ExecutorError } from "@/server/executor/errors";
import { defineRewardImplementation } from "../types";

export const classifierProbabilityRewardImplementation = defineRewardImplementation(
  "classifier-probability",
  {
    async create({ planned, classifier }) {
      const model = await classifier();
      const { group, label } = parseClassifierTarget(planned.params.target);
      const labels = model.heads[group];
      if (!labels?.includes(label)) {
        throw new ExecutorError(
          "MODEL_UNAVAILABLE",
          `${planned.displayName}: the classifier cannot recognise “${planned.params.target}” (its ${group} classes: ${labels?.join(", ") ?? "none"}). Pick another target class.`,
          { nodeId: planned.id },
        );
      }
      return createClassProbabilityReward({ classifier: model, head: group, label, mode: "prob" });
    },
  },
);
