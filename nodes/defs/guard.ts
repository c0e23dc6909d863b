import { z } from "zod";
import { defineNode } from "../types";

export const GUARD_KINDS = [
  "probability-regularization",
  "norm-prior",
  "trust-region",
  "keeper-floor",
  "early-stop",
  "keep-best",
] as const;
export type GuardKind = (typeof GUARD_KINDS)[number];

const onlyFor = (...kinds: GuardKind[]) => ({ param: "kind", equals: kinds });

export const guardNode = defineNode({
  type: "guard",
  version: 1,
  title: "Guard",
  category: "Optimization",
  description:
    "Protects against “reward hacking”: when the Optimizer pushes a reward too hard, the noise stops looking " +
    "like real random noise and the picture turns into nonsense that still scores high. A Guard watches the " +
    "optimization and holds it back. Probability regularization (the method's own guard) adds a penalty that " +
    "stays flat at its lowest value while the noise still looks like a typical random sample, and rises " +
    "steeply once it drifts away from that; its value is shown as a reward-hacking meter. Other guards: a norm prior, a limit on how far the noise may " +
    "move from where it started, a second “keeper” reward that must stay above a floor, stopping when progress " +
    "stalls, and keeping the best picture seen rather than the last one.",
  icon: "shield",
  inputs: [
    {
      name: "reward",
      type: "reward",
      label: "Keeper reward",
      description: "For “Keeper reward floor”: the reward that must stay above the floor.",
      requiredWhen: { param: "kind", equals: ["keeper-floor"] },
    },
  ],
  outputs: [
    { name: "guard", type: "guard", label: "Guard", description: "Connect to an Optimizer's Guards input." },
  ],
  params: z.object({
    kind: z
      .enum(GUARD_KINDS)
      .default("probability-regularization")
      .meta({
        widget: "select",
        label: "Guard",
        help: "How the optimization is held back.",
        optionLabels: {
          "probability-regularization": "Probability regularization (reward-hacking meter)",
          "norm-prior": "Norm prior",
          "trust-region": "Trust region (stay near the start)",
          "keeper-floor": "Keeper reward floor",
          "early-stop": "Early stop on a plateau",
          "keep-best": "Keep the best picture",
        },
      }),
    gamma: z
      .number()
      .min(0)
      .max(1000)
      .default(1)
      .meta({
        widget: "number",
        label: "Strength (γ)",
        help:
          "How much the probability penalty counts against the reward. 1 is the paper's setting; 0 only " +
          "measures (the meter still shows) without holding back.",
        step: 0.1,
        visibleWhen: onlyFor("probability-regularization"),
      }),
    permutations: z
      .int()
      .min(0)
      .max(1000)
      .default(100)
      .meta({
        widget: "number",
        label: "Shuffles",
        help:
          "The check is repeated on this many random shufflings of the noise, which catches patterns the " +
          "plain order misses. More is steadier but slower; the paper uses 100.",
        step: 1,
        visibleWhen: onlyFor("probability-regularization"),
        advanced: true,
      }),
    blockSize: z
      .int()
      .min(1)
      .max(64)
      .default(4)
      .meta({
        widget: "number",
        label: "Block size (k)",
        help: "The noise is checked in groups of this many consecutive values. The paper uses 4.",
        step: 1,
        visibleWhen: onlyFor("probability-regularization"),
        advanced: true,
      }),
    lambda: z
      .number()
      .min(0)
      .max(100)
      .default(0.01)
      .meta({
        widget: "number",
        label: "Strength (λ)",
        help:
          "How much the norm prior counts: it penalizes noise whose overall size is unusual for random " +
          "noise. 0.01 is ReNO's setting.",
        step: 0.001,
        visibleWhen: onlyFor("norm-prior"),
      }),
    maxDistance: z
      .number()
      .min(0.001)
      .max(10)
      .default(0.2)
      .meta({
        widget: "slider",
        label: "Maximum distance",
        help:
          "How far the noise may move from where it started, as a fraction of the starting noise's size " +
          "(0.2 = 20 %). Steps that would go further are pulled back.",
        step: 0.001,
        visibleWhen: onlyFor("trust-region"),
      }),
    floor: z
      .number()
      .min(-1_000_000)
      .max(1_000_000)
      .default(0.5)
      .meta({
        widget: "number",
        label: "Floor",
        help: "The connected keeper reward must stay at or above this value (e.g. prompt faithfulness ≥ 0.5).",
        step: 0.01,
        visibleWhen: onlyFor("keeper-floor"),
      }),
    onViolation: z
      .enum(["penalty", "stop"])
      .default("penalty")
      .meta({
        widget: "select",
        label: "When it drops below",
        help: "“Penalty” subtracts from the objective while the keeper is below the floor; “Stop” ends the run.",
        optionLabels: { penalty: "Add a penalty", stop: "Stop the run" },
        visibleWhen: onlyFor("keeper-floor"),
      }),
    penaltyWeight: z
      .number()
      .min(0)
      .max(10_000)
      .default(10)
      .meta({
        widget: "number",
        label: "Penalty weight",
        help: "How hard the penalty pushes back, per unit the keeper reward is below the floor.",
        step: 0.1,
        visibleWhen: { param: "onViolation", equals: ["penalty"] },
      }),
    patience: z
      .int()
      .min(1)
      .max(1000)
      .default(10)
      .meta({
        widget: "number",
        label: "Patience",
        help: "Stop after this many iterations in a row without a real improvement of the objective.",
        unit: "iterations",
        step: 1,
        visibleWhen: onlyFor("early-stop"),
      }),
    minDelta: z
      .number()
      .min(0)
      .max(1_000_000)
      .default(0.001)
      .meta({
        widget: "number",
        label: "Smallest improvement",
        help: "An improvement smaller than this does not count as progress.",
        step: 0.0001,
        visibleWhen: onlyFor("early-stop"),
        advanced: true,
      }),
  }),
});
