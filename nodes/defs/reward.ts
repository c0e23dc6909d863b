import { z } from "zod";
import { assetIdSchema } from "../asset-id";
import { generatedRewardKinds } from "../kinds/rewards/index.generated";
import type { RewardKind } from "../kinds/ids";
import {
  appliesTo,
  inSelectOrder,
  kindIds,
  kindOptionLabels,
  type RewardKindDeclaration,
  requiredFor,
} from "../kinds/types";
import { defineNode, type NodeDefinition } from "../types";

export type { RewardKind } from "../kinds/ids";

/** The declared reward kinds (nodes/kinds/rewards/), in select order. */
export const REWARD_KINDS: readonly RewardKind[] = kindIds(inSelectOrder(generatedRewardKinds));

/** Rewards computed by code that has no gradient: the Optimizer must use an estimator for them. */
export const NON_DIFFERENTIABLE_REWARD_KINDS: readonly RewardKind[] = generatedRewardKinds
  .filter((kind) => kind.gradient === "none")
  .map((kind) => kind.id);

/**
 * Classes of the bundled shapes classifier (models/tiny_shapes/data.py: SHAPES, COLOURS). Its three heads are
 * "shape", "shape_colour" and "background_colour"; a target names the group and the class, e.g. "color:red".
 */
export const CLASSIFIER_SHAPES = ["circle", "square", "triangle"] as const;
export const CLASSIFIER_COLORS = ["red", "green", "blue", "yellow", "white", "black"] as const;
export const CLASSIFIER_TARGETS = [
  ...CLASSIFIER_SHAPES.map((shape) => `shape:${shape}` as const),
  ...CLASSIFIER_COLORS.map((color) => `color:${color}` as const),
  ...CLASSIFIER_COLORS.map((color) => `background:${color}` as const),
] as const;

export type ClassifierTarget = (typeof CLASSIFIER_TARGETS)[number];
export type ClassifierTargetGroup = "shape" | "color" | "background";

/** Splits "color:red" into its group and class; the executor maps the group to a classifier head. */
export function parseClassifierTarget(target: ClassifierTarget): {
  group: ClassifierTargetGroup;
  label: string;
} {
  const [group, label] = target.split(":") as [ClassifierTargetGroup, string];
  return { group, label };
}

const targetLabel = (target: string): string => {
  const [group, value = ""] = target.split(":");
  if (group === "shape") return `Shape: ${value}`;
  if (group === "color") return `Shape colour: ${value}`;
  return `Background: ${value}`;
};

/** The Reward's params; `kinds` gives the kind select and which params show for which kind. */
function rewardParams(kinds: readonly RewardKindDeclaration[]) {
  const onlyFor = (param: string) => appliesTo(kinds, param);
  return z.object({
    kind: z
      .enum(kindIds(kinds) as [RewardKind, ...RewardKind[]])
      .default("brightness")
      .meta({
        widget: "select",
        label: "Reward",
        help:
          "What makes a picture score higher. JPEG rewards have no gradient: the Optimizer then needs the " +
          "“hybrid” or “zeroth-order” estimator.",
        optionLabels: kindOptionLabels(kinds),
      }),
    weight: z.number().min(-100).max(100).default(1).meta({
      widget: "number",
      label: "Weight",
      help: "How much this reward counts when several are added up. A negative weight makes it a penalty.",
      step: 0.1,
    }),
    target: z
      .enum(CLASSIFIER_TARGETS)
      .default("shape:circle")
      .meta({
        widget: "select",
        label: "Target class",
        help: "The class the picture should be recognised as, e.g. “Shape: circle” to make it a circle.",
        optionLabels: Object.fromEntries(CLASSIFIER_TARGETS.map((target) => [target, targetLabel(target)])),
        visibleWhen: onlyFor("target"),
      }),
    jpegQuality: z
      .int()
      .min(1)
      .max(100)
      .default(75)
      .meta({
        widget: "slider",
        label: "JPEG quality",
        help: "The quality the picture is encoded at before its file size is measured (1 = smallest, 100 = best).",
        step: 1,
        visibleWhen: onlyFor("jpegQuality"),
      }),
    modelAsset: assetIdSchema.default("").meta({
      widget: "file",
      label: "Scoring model",
      help:
        "An ONNX model that takes a picture and returns a score (higher = better). Upload it here or pick one " +
        "already uploaded.",
      accept: ".onnx",
      visibleWhen: onlyFor("modelAsset"),
    }),
    scorerInput: z
      .enum(["as-is", "clip"])
      .default("as-is")
      .meta({
        widget: "select",
        label: "Scorer input",
        help:
          "How the picture is prepared for the scoring model. “CLIP” does what CLIP-based scorers (such as " +
          "aesthetic predictors) were trained with: the shorter side resized to 224 px (bicubic, smoothed when " +
          "shrinking), the middle 224×224 cut out, and CLIP's colour normalization; “Input size” and the " +
          "normalization settings are then not used. “As set below” stretches the picture to “Input size” and " +
          "uses the normalization settings.",
        optionLabels: {
          "as-is": "As set below (Input size, mean, spread)",
          clip: "CLIP (224 px, CLIP mean/std)",
        },
        visibleWhen: onlyFor("scorerInput"),
      }),
    resize: z
      .int()
      .min(1)
      .max(4096)
      .default(224)
      .meta({
        widget: "number",
        label: "Input size",
        help:
          "The picture is resized to this many pixels wide and high before it goes into the scoring model " +
          "(not used when “Scorer input” is CLIP).",
        unit: "px",
        step: 1,
        visibleWhen: onlyFor("resize"),
        advanced: true,
      }),
    mean: z
      .tuple([z.number().min(-10).max(10), z.number().min(-10).max(10), z.number().min(-10).max(10)])
      .default([0.485, 0.456, 0.406])
      .meta({
        widget: "numberList",
        label: "Normalization mean",
        help:
          "Subtracted from each colour channel (pixel values 0 to 1) before scoring, as the model was trained. " +
          "The default is the common ImageNet setting. Not used when “Scorer input” is CLIP.",
        itemLabels: ["R", "G", "B"],
        step: 0.001,
        visibleWhen: onlyFor("mean"),
        advanced: true,
      }),
    std: z
      .tuple([z.number().min(0.0001).max(10), z.number().min(0.0001).max(10), z.number().min(0.0001).max(10)])
      .default([0.229, 0.224, 0.225])
      .meta({
        widget: "numberList",
        label: "Normalization spread",
        help:
          "Each colour channel is divided by this after the mean is subtracted (the model's training setting). " +
          "Not used when “Scorer input” is CLIP.",
        itemLabels: ["R", "G", "B"],
        step: 0.001,
        visibleWhen: onlyFor("std"),
        advanced: true,
      }),
    outputIndex: z
      .int()
      .min(0)
      .max(1000)
      .default(0)
      .meta({
        widget: "number",
        label: "Score position",
        help: "Which number of the model's output is the score (0 = the first).",
        step: 1,
        visibleWhen: onlyFor("outputIndex"),
        advanced: true,
      }),
  });
}

/**
 * The Reward node, assembled from its kind declarations: the kind select's options and labels, which params
 * and ports apply to which kind, differentiability and run checks. `registerRewardKind`
 * (nodes/kinds/registry.ts) rebuilds it with one more kind.
 */
export function rewardNodeDeclaration(
  declarations: readonly RewardKindDeclaration[],
): NodeDefinition<ReturnType<typeof rewardParams>> {
  const kinds = inSelectOrder(declarations);
  const kindOf = (id: string) => kinds.find((kind) => kind.id === id);
  return {
    type: "reward",
    // Version 2: the custom scorer is an uploaded asset's id (`modelAsset`), no longer a server path.
    version: 2,
    title: "Reward",
    category: "Objective",
    description:
      "Scores a picture: the Optimizer changes the noise so that this score goes up. Pick what to reward — " +
      "brightness, colourfulness, contrast, a small JPEG file, how sure the shape classifier is that the picture " +
      "shows a chosen class, how well the picture matches its prompt, or your own ONNX scoring model. Several " +
      "Rewards can feed one Optimizer; their weighted scores are added up, and a negative weight turns a reward " +
      "into a penalty. Beware of “reward hacking”: pushed too hard, a score rises while the picture stops making " +
      "sense — a Guard protects against that.",
    icon: "trophy",
    inputs: [
      { name: "image", type: "image", label: "Image", description: "The picture to score.", required: true },
      {
        name: "conditioning",
        type: "conditioning",
        label: "Prompt",
        description: "The prompt the picture should match (used by “Prompt faithfulness”).",
        requiredWhen: requiredFor(kinds, "conditioning"),
      },
    ],
    outputs: [{ name: "reward", type: "reward", label: "Reward", description: "The score of the picture." }],
    migrateParams(fromVersion, params) {
      if (fromVersion >= 2) return params;
      // A v1 `modelFile` was a path on the server; it cannot name an upload, so the user uploads the scorer.
      const { modelFile: _dropped, ...rest } = params;
      return { ...rest, modelAsset: "" };
    },
    differentiable(params) {
      return kindOf(params.kind)?.gradient !== "none";
    },
    validate(params) {
      return kindOf(params.kind)?.validate?.(params) ?? [];
    },
    params: rewardParams(kinds),
  };
}

export const rewardNode = defineNode(rewardNodeDeclaration(generatedRewardKinds));
