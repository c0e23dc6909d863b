import { z } from "zod";
import { type GradientEstimator, gradientEstimators } from "../kinds/gradient-estimators";
import { type OptimizerAlgorithm, optimizerAlgorithms } from "../kinds/optimizer-algorithms";
import { appliesTo, kindIds, kindOptionLabels } from "../kinds/types";
import { defineNode } from "../types";

/** Declared in nodes/kinds/optimizer-algorithms.ts and nodes/kinds/gradient-estimators.ts. */
export const OPTIMIZER_ALGORITHMS: [OptimizerAlgorithm, ...OptimizerAlgorithm[]] =
  kindIds(optimizerAlgorithms);
export const GRADIENT_ESTIMATORS: [GradientEstimator, ...GradientEstimator[]] = kindIds(gradientEstimators);

/** Shown only for the algorithms / estimators that declare the param. */
const forAlgorithms = (param: string) => appliesTo(optimizerAlgorithms, param, "algorithm");
const forEstimators = (param: string) => appliesTo(gradientEstimators, param, "estimator");

export const optimizerNode = defineNode({
  type: "optimizer",
  // Version 2 added the step-size schedule and gradient normalization and changed the defaults (METHOD.md §7).
  version: 2,
  title: "Optimizer",
  category: "Optimization",
  description:
    "Improves the picture by changing its noise, step by step, so that the connected Rewards score higher " +
    "(Direct Noise Optimization). Each iteration makes the picture, scores it, works out in which direction " +
    "to nudge the noise, and nudges it. Connect at least one Reward and, to avoid reward hacking, a Guard. " +
    "The learning rate sets the size of each nudge and the iterations how many nudges. When a reward has no " +
    "gradient (such as JPEG size), choose the “hybrid” estimator: it tries small random nudges to find the " +
    "direction. The output is the best picture found.",
  icon: "trending-up",
  inputs: [
    {
      name: "rewards",
      type: "reward",
      label: "Rewards",
      description: "One or more Rewards to maximize; their weighted scores are added up.",
      required: true,
      multiple: true,
    },
    {
      name: "guards",
      type: "guard",
      label: "Guards",
      description: "Optional Guards that hold the optimization back from reward hacking.",
      multiple: true,
    },
  ],
  outputs: [{ name: "image", type: "image", label: "Best image", description: "The best picture found." }],
  params: z.object({
    algorithm: z
      .enum(OPTIMIZER_ALGORITHMS)
      .default("sgd-nesterov")
      .meta({
        widget: "select",
        label: "Algorithm",
        help:
          "How each nudge is computed from the gradient. SGD with Nesterov momentum (as ReNO uses), with the " +
          "direction normalized and a cosine schedule, is the default: on the bundled model it reaches the " +
          "paper's 100-iteration reward in well under half the iterations. Adam is the paper's choice; AdamW " +
          "adds weight decay.",
        optionLabels: kindOptionLabels(optimizerAlgorithms),
      }),
    learningRate: z
      .number()
      .min(0.00001)
      .max(10)
      .default(0.02)
      .meta({
        widget: "slider",
        label: "Learning rate",
        help:
          "The size of each nudge: about how far each noise value moves per step. 0.02 suits the default " +
          "(SGD with a normalized direction); with Adam the paper uses 0.01, and 0.001 for brightness or " +
          "darkness. Too large and the picture falls apart; too small and nothing changes.",
        scale: "log",
        step: 0.00001,
      }),
    iterations: z.int().min(1).max(1000).default(50).meta({
      widget: "slider",
      label: "Iterations",
      help: "How many nudges. Each one makes the whole picture again, so time grows with this number.",
      step: 1,
    }),
    gradClip: z
      .number()
      .min(0)
      .max(100)
      .default(1)
      .meta({
        widget: "number",
        label: "Gradient clip",
        help:
          "Caps the size of the direction before each nudge so one wild step cannot ruin the picture. 0 = off. " +
          "Not used when “Normalize the direction” is on (the direction then has a fixed size).",
        step: 0.1,
        advanced: true,
      }),
    schedule: z
      .enum(["constant", "cosine"])
      .default("cosine")
      .meta({
        widget: "select",
        label: "Step-size schedule",
        help:
          "Constant: every nudge uses the learning rate. Cosine: the nudges start at the learning rate and " +
          "shrink smoothly to a tenth of it by the last iteration, so the picture settles instead of overshooting.",
        optionLabels: { constant: "Constant", cosine: "Cosine (large first, small last)" },
        advanced: true,
      }),
    normalizeGradient: z
      .boolean()
      .default(true)
      .meta({
        widget: "checkbox",
        label: "Normalize the direction",
        help:
          "Scales each direction to a fixed size before the nudge (an average of 1 per noise value), so the " +
          "learning rate alone sets how far the noise moves, whatever the rewards' scale or the number of steps. " +
          "Mostly useful with SGD.",
        advanced: true,
      }),
    weightDecay: z
      .number()
      .min(0)
      .max(1)
      .default(0)
      .meta({
        widget: "number",
        label: "Weight decay",
        help: "AdamW only: shrinks the noise a little at every step. 0 = off (the paper's intent).",
        step: 0.001,
        visibleWhen: forAlgorithms("weightDecay"),
        advanced: true,
      }),
    momentum: z
      .number()
      .min(0)
      .max(0.999)
      .default(0.9)
      .meta({
        widget: "number",
        label: "Momentum",
        help: "SGD only: how much of the previous nudge carries over into the next one.",
        step: 0.01,
        visibleWhen: forAlgorithms("momentum"),
        advanced: true,
      }),
    betas: z
      .tuple([z.number().min(0).max(0.99999), z.number().min(0).max(0.99999)])
      .default([0.9, 0.999])
      .meta({
        widget: "numberList",
        label: "Betas",
        help: "Adam's memory of past directions (β1) and of their sizes (β2). The usual 0.9 and 0.999 rarely need changing.",
        itemLabels: ["β1", "β2"],
        step: 0.001,
        visibleWhen: forAlgorithms("betas"),
        advanced: true,
      }),
    estimator: z
      .enum(GRADIENT_ESTIMATORS)
      .default("backprop")
      .meta({
        widget: "select",
        label: "Gradient estimator",
        help:
          "How the direction of each nudge is found. “Backprop” computes it exactly and needs every reward to " +
          "have a gradient. “Zeroth-order” tries random nudges and compares scores; it works with any reward " +
          "but needs many tries. “Hybrid” tries random nudges only to score the picture, then follows the exact " +
          "path back through the model: the best choice for rewards without a gradient, such as JPEG size.",
        optionLabels: kindOptionLabels(gradientEstimators),
      }),
    perturbations: z
      .int()
      .min(1)
      .max(256)
      .default(8)
      .meta({
        widget: "number",
        label: "Random tries (q)",
        help: "How many random nudges are tried per iteration to estimate the direction. More is steadier but slower.",
        step: 1,
        visibleWhen: forEstimators("perturbations"),
      }),
    smoothing: z
      .number()
      .min(0.000001)
      .max(1)
      .default(0.1)
      .meta({
        widget: "number",
        label: "Try size (μ)",
        help:
          "How big each random try is compared with the noise. The paper uses 0.01 on large pictures; on small " +
          "ones (such as the bundled model's 64×64) a try that small barely changes a JPEG's size, so 0.1 is the default.",
        step: 0.001,
        visibleWhen: forEstimators("smoothing"),
        advanced: true,
      }),
  }),
  migrateParams(fromVersion, params) {
    if (fromVersion >= 2) return params;
    // Version 1 had no schedule or normalization and other defaults: keep those documents (and their runs)
    // reproducible by pinning what version 1 ran with where the saved params leave it out.
    return {
      algorithm: "adam",
      learningRate: 0.01,
      smoothing: 0.01,
      ...params,
      schedule: "constant",
      normalizeGradient: false,
    };
  },
});
