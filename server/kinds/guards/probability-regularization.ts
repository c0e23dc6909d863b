import path from "node:path";
import { ProbabilityRegularizationGuard } from "@/server/dno/guards/probability-regularization-guard";
import { dataDir } from "@/server/env";
import { defineGuardImplementation } from "../types";

export const probabilityRegularizationGuard = defineGuardImplementation("probability-regularization", {
  attachTo: "noise",
  createNoiseGuard: (params, { seed }) =>
    new ProbabilityRegularizationGuard({
      weight: params.gamma,
      permutations: params.permutations,
      blockSize: params.blockSize,
      seed,
      firesAtPercentile: params.firesAtPercentile,
      // The meter's calibration (PR under pure noise, per shape) is simulated once and kept here.
      calibrationCacheDir: path.join(dataDir(), "cache", "pr-calibration"),
    }),
});
