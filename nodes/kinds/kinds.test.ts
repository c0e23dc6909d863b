/**
 * The declared kinds and what the nodes derive from them: selects keep their order and labels, each param
 * shows for the kinds that declare it (the same conditions the nodes had when they listed kinds by hand),
 * and every param or port a kind names exists on its node.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { NON_DIFFERENTIABLE_REWARD_KINDS } from "../defs/reward";
import { describeParams } from "../describe-params";
import { getNodeDefinition } from "../registry";
import { gradientEstimators } from "./gradient-estimators";
import { optimizerAlgorithms } from "./optimizer-algorithms";
import { listGuardKinds, listRewardKinds } from "./registry";
import type { KindDeclaration } from "./types";

function conditions(nodeType: string) {
  const definition = getNodeDefinition(nodeType)!;
  const fields = describeParams(definition);
  return {
    options: (name: string) =>
      fields.find((field) => field.name === name)?.options?.map((option) => option.value),
    label: (name: string, value: string) =>
      fields.find((field) => field.name === name)?.options?.find((option) => option.value === value)?.label,
    visible: (name: string) => fields.find((field) => field.name === name)?.visibleWhen?.equals,
    required: (port: string) => definition.inputs.find((input) => input.name === port)?.requiredWhen?.equals,
  };
}

describe("declared kinds", () => {
  it("Reward: select order, labels, param visibility and the prompt port as before", () => {
    const reward = conditions("reward");
    expect(reward.options("kind")).toEqual([
      "brightness",
      "darkness",
      "saturation",
      "contrast",
      "jpeg-compressibility",
      "jpeg-incompressibility",
      "classifier-probability",
      "prompt-faithfulness",
      "custom-onnx",
    ]);
    expect(reward.label("kind", "jpeg-compressibility")).toBe(
      "JPEG compressibility (smaller file, simpler picture)",
    );
    expect(reward.visible("weight")).toBeUndefined();
    expect(reward.visible("target")).toEqual(["classifier-probability"]);
    expect(reward.visible("jpegQuality")).toEqual(["jpeg-compressibility", "jpeg-incompressibility"]);
    for (const name of ["modelAsset", "scorerInput", "resize", "mean", "std", "outputIndex"])
      expect(reward.visible(name), name).toEqual(["custom-onnx"]);
    expect(reward.required("conditioning")).toEqual(["prompt-faithfulness"]);
    expect([...NON_DIFFERENTIABLE_REWARD_KINDS]).toEqual(["jpeg-compressibility", "jpeg-incompressibility"]);
  });

  it("Guard: select order, param visibility and the keeper port as before", () => {
    const guard = conditions("guard");
    expect(guard.options("kind")).toEqual([
      "probability-regularization",
      "norm-prior",
      "trust-region",
      "image-trust-region",
      "keeper-floor",
      "prompt-keeper",
      "early-stop",
      "keep-best",
    ]);
    for (const name of ["gamma", "firesAtPercentile", "permutations", "blockSize"])
      expect(guard.visible(name), name).toEqual(["probability-regularization"]);
    expect(guard.visible("lambda")).toEqual(["norm-prior"]);
    expect(guard.visible("maxDistance")).toEqual(["trust-region"]);
    expect(guard.visible("floor")).toEqual(["keeper-floor"]);
    expect(guard.visible("onViolation")).toEqual(["keeper-floor"]);
    expect(guard.visible("penaltyWeight")).toEqual(["penalty"]);
    expect(guard.visible("imageRadius")).toEqual(["image-trust-region"]);
    expect(guard.visible("imageStrength")).toEqual(["image-trust-region"]);
    expect(guard.visible("keepFloor")).toEqual(["prompt-keeper"]);
    expect(guard.visible("keepStrength")).toEqual(["prompt-keeper"]);
    expect(guard.visible("patience")).toEqual(["early-stop"]);
    expect(guard.required("reward")).toEqual(["keeper-floor"]);
  });

  it("Optimizer: algorithms and estimators, and the params each shows", () => {
    const optimizer = conditions("optimizer");
    expect(optimizer.options("algorithm")).toEqual(["adam", "adamw", "sgd-nesterov"]);
    expect(optimizer.options("estimator")).toEqual(["backprop", "zeroth-order", "hybrid"]);
    expect(optimizer.visible("betas")).toEqual(["adam", "adamw"]);
    expect(optimizer.visible("weightDecay")).toEqual(["adamw"]);
    expect(optimizer.visible("momentum")).toEqual(["sgd-nesterov"]);
    expect(optimizer.visible("perturbations")).toEqual(["zeroth-order", "hybrid"]);
    expect(optimizer.visible("smoothing")).toEqual(["zeroth-order", "hybrid"]);
  });

  const groups: [string, readonly KindDeclaration[]][] = [
    ["reward", listRewardKinds()],
    ["guard", listGuardKinds()],
    ["optimizer", optimizerAlgorithms],
    ["optimizer", gradientEstimators],
  ];
  for (const [nodeType, kinds] of groups) {
    it(`${nodeType}: every kind names real params and ports, explains itself, and has a unique id and order`, () => {
      const definition = getNodeDefinition(nodeType)!;
      for (const kind of kinds) {
        for (const param of kind.params)
          expect(Object.keys(definition.params.shape), kind.id).toContain(param);
        for (const port of kind.requiredPorts ?? [])
          expect(
            definition.inputs.map((input) => input.name),
            kind.id,
          ).toContain(port);
        expect(kind.label.length, kind.id).toBeGreaterThan(2);
        expect(kind.help.length, kind.id).toBeGreaterThan(20);
      }
      expect(new Set(kinds.map((kind) => kind.id)).size).toBe(kinds.length);
      expect(new Set(kinds.map((kind) => kind.order)).size).toBe(kinds.length);
    });
  }

  it("declarations stay isomorphic: nothing under nodes/ imports server code", () => {
    const root = path.resolve(import.meta.dirname, "..");
    const files = readdirSync(root, { recursive: true, encoding: "utf8" }).filter(
      (file) => file.endsWith(".ts") && !file.endsWith(".test.ts"),
    );
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) {
      const source = readFileSync(path.join(root, file), "utf8");
      expect(source, file).not.toMatch(/from "(@\/server|(\.\.\/)+server)\//);
    }
  });
});
