import { describe, expect, it } from "vitest";
import { parseGraphDocument } from "./document";
import { exampleWorkflows } from "./examples";
import { validateGraph } from "./validate";
import { optimizerNode } from "../defs/optimizer";

describe("example workflows", () => {
  it("are the three seeded examples, with unique slugs and names", () => {
    expect(exampleWorkflows.map((example) => example.name)).toEqual([
      "Brighten with a guard",
      "Maximize a reward with probability regularization",
      "Non-differentiable reward (JPEG) with the hybrid estimator",
    ]);
    expect(new Set(exampleWorkflows.map((example) => example.slug)).size).toBe(3);
  });

  it("are current, valid documents without any issue", () => {
    for (const example of exampleWorkflows) {
      expect(parseGraphDocument(example.document)).toEqual({ ok: true, document: example.document });
      expect(validateGraph(example.document), example.slug).toEqual([]);
    }
  });

  it("show what their names promise", () => {
    const [brighten, classifier, jpeg] = exampleWorkflows.map((example) => example.document);
    const kinds = (doc: typeof brighten, type: string, param: string) =>
      doc?.nodes.filter((node) => node.type === type).map((node) => node.params[param]);
    expect(kinds(brighten, "reward", "kind")).toEqual(["brightness"]);
    expect(kinds(brighten, "guard", "kind")).toEqual([
      "probability-regularization",
      "prompt-keeper",
      "keep-best",
    ]);
    expect(kinds(classifier, "reward", "kind")).toEqual(["classifier-probability"]);
    expect(kinds(classifier, "guard", "kind")).toEqual(["probability-regularization", "keep-best"]);
    expect(kinds(jpeg, "reward", "kind")).toEqual(["jpeg-compressibility"]);
    expect(kinds(jpeg, "optimizer", "estimator")).toEqual(["hybrid"]);
    expect(kinds(jpeg, "guard", "kind")).toEqual([
      "probability-regularization",
      "prompt-keeper",
      "keep-best",
    ]);
  });

  it("use the Optimizer's defaults (chosen by bench:recipes, METHOD.md §7), except their iteration counts", () => {
    const defaults = optimizerNode.params.parse({});
    for (const example of exampleWorkflows) {
      const optimizer = example.document.nodes.find((node) => node.type === "optimizer");
      expect(optimizer?.version, example.slug).toBe(optimizerNode.version);
      const { iterations: _iterations, estimator: _estimator, ...params } = optimizer!.params;
      const { iterations: _i, estimator: _e, ...expected } = defaults;
      expect(params, example.slug).toEqual(expected);
    }
  });
});
