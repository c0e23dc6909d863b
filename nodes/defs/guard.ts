import { z } from "zod";
import { generatedGuardKinds } from "../kinds/guards/index.generated";
import type { GuardKind } from "../kinds/ids";
import {
  appliesTo,
  type GuardKindDeclaration,
  inSelectOrder,
  kindIds,
  kindOptionLabels,
  requiredFor,
} from "../kinds/types";
import { defineNode, type NodeDefinition } from "../types";

export type { GuardKind } from "../kinds/ids";

/** The declared guard kinds (nodes/kinds/guards/), in select order. */
export const GUARD_KINDS: readonly GuardKind[] = kindIds(inSelectOrder(generatedGuardKinds));

/** The Guard's params; `kinds` gives the kind select and which params show for which kind. */
function guardParams(kinds: readonly GuardKindDeclaration[]) {
  const onlyFor = (param: string) => appliesTo(kinds, param);
  return z.object({
    kind: z
      .enum(kindIds(kinds) as [GuardKind, ...GuardKind[]])
      .default("probability-regularization")
      .meta({
        widget: "select",
        label: "Guard",
        help: "How the optimization is held back.",
        optionLabels: kindOptionLabels(kinds),
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
        visibleWhen: onlyFor("gamma"),
      }),
    firesAtPercentile: z
      .number()
      .min(50)
      .max(100)
      .default(99)
      .meta({
        widget: "number",
        label: "Fires at percentile",
        help:
          "The meter compares the noise with many fresh random samples of the same size: “62nd percentile” " +
          "means it looks less typical than 62 % of them. The guard is marked as fired from this percentile " +
          "up (99: only 1 fresh sample in 100 looks as unusual). It changes only the warning, not the penalty.",
        step: 0.5,
        visibleWhen: onlyFor("firesAtPercentile"),
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
        visibleWhen: onlyFor("permutations"),
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
        visibleWhen: onlyFor("blockSize"),
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
        visibleWhen: onlyFor("lambda"),
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
        visibleWhen: onlyFor("maxDistance"),
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
        visibleWhen: onlyFor("floor"),
      }),
    onViolation: z
      .enum(["penalty", "stop"])
      .default("penalty")
      .meta({
        widget: "select",
        label: "When it drops below",
        help: "“Penalty” subtracts from the objective while the keeper is below the floor; “Stop” ends the run.",
        optionLabels: { penalty: "Add a penalty", stop: "Stop the run" },
        visibleWhen: onlyFor("onViolation"),
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
    imageRadius: z
      .number()
      .min(0.001)
      .max(1)
      .default(0.1)
      .meta({
        widget: "slider",
        label: "Allowed change",
        help:
          "How much the picture may change from the first one: the average change per pixel, as a fraction " +
          "of the black-to-white range (0.1 = 10 %). Beyond it the optimization is held back.",
        step: 0.005,
        visibleWhen: onlyFor("imageRadius"),
      }),
    imageStrength: z
      .number()
      .min(0)
      .max(10_000)
      .default(1)
      .meta({
        widget: "number",
        label: "Strength",
        help:
          "How hard it holds back once the picture has changed too much: the penalty when the change is twice " +
          "the allowed amount. Raise it if the picture still drifts away.",
        step: 1,
        visibleWhen: onlyFor("imageStrength"),
      }),
    keepFloor: z
      .number()
      .min(0)
      .max(1)
      .default(0.9)
      .meta({
        widget: "slider",
        label: "Lowest allowed confidence",
        help:
          "How sure the model's image checker must stay that each shape and colour the prompt names is " +
          "still there (0.9 = 90 %). Below it the optimization is held back.",
        step: 0.01,
        visibleWhen: onlyFor("keepFloor"),
      }),
    keepStrength: z
      .number()
      .min(0)
      .max(10_000)
      .default(100)
      .meta({
        widget: "number",
        label: "Strength",
        help:
          "How hard it holds back, per step of confidence below the lowest allowed one. Raise it if a shape " +
          "or colour still fades.",
        step: 1,
        visibleWhen: onlyFor("keepStrength"),
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
        visibleWhen: onlyFor("patience"),
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
        visibleWhen: onlyFor("minDelta"),
        advanced: true,
      }),
  });
}

/**
 * The Guard node, assembled from its kind declarations: the kind select's options and labels, which params
 * and ports apply to which kind. `registerGuardKind` (nodes/kinds/registry.ts) rebuilds it with one more kind.
 */
export function guardNodeDeclaration(
  declarations: readonly GuardKindDeclaration[],
): NodeDefinition<ReturnType<typeof guardParams>> {
  const kinds = inSelectOrder(declarations);
  return {
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
      "move from where it started, a limit on how far the picture may move from the first one, keeping the " +
      "shape and colours the prompt asked for recognisable, a second “keeper” reward that must stay above a " +
      "floor, stopping when progress " +
      "stalls, and keeping the best picture seen rather than the last one.",
    icon: "shield",
    inputs: [
      {
        name: "reward",
        type: "reward",
        label: "Keeper reward",
        description: "For “Keeper reward floor”: the reward that must stay above the floor.",
        requiredWhen: requiredFor(kinds, "reward"),
      },
    ],
    outputs: [
      {
        name: "guard",
        type: "guard",
        label: "Guard",
        description: "Connect to an Optimizer's Guards input.",
      },
    ],
    params: guardParams(kinds),
  };
}

export const guardNode = defineNode(guardNodeDeclaration(generatedGuardKinds));
