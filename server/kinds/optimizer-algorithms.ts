/**
 * Each declared optimizer algorithm (nodes/kinds/optimizer-algorithms.ts) as the engine's optimizer
 * configuration (server/dno/optimizers); complete by type, so a declared algorithm without one does not compile.
 */
import type { OptimizerAlgorithm } from "@/nodes/kinds/optimizer-algorithms";
import type { OptimizerConfig } from "@/server/dno/optimizers/index";
import type { OptimizerParams } from "@/server/executor/plan";

export const optimizerAlgorithmConfigs = {
  // Adam runs without weight decay (the reference's hidden default is a defect; METHOD.md).
  adam: (params) => ({
    kind: "adam",
    learningRate: params.learningRate,
    beta1: params.betas[0],
    beta2: params.betas[1],
    weightDecay: 0,
  }),
  adamw: (params) => ({
    kind: "adamw",
    learningRate: params.learningRate,
    beta1: params.betas[0],
    beta2: params.betas[1],
    weightDecay: params.weightDecay,
  }),
  "sgd-nesterov": (params) => ({
    kind: "sgd",
    learningRate: params.learningRate,
    momentum: params.momentum,
    nesterov: true,
  }),
} satisfies { readonly [K in OptimizerAlgorithm]: (params: OptimizerParams) => OptimizerConfig };
