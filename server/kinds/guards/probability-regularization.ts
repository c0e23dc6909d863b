import { ProbabilityRegularizationGuard } from "@/server/dno/guards/probability-regularization-guard";
import { defineGuardImplementation } from "../types";

export const probabilityRegularizationGuard = defineGuardImplementation("probability-regularization", {
  attachTo: "noise",
  createNoiseGuard: (params, { seed }) =>
    new ProbabilityRegularizationGuard({
      weight: params.gamma,
      permutations: params.permutations,
      blockSize: params.blockSize,
      seed,
    }),
});
