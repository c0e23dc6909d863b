import { describe, expect, it } from "vitest";
import { parseGraphDocument } from "../graph/document";
import { exampleWorkflows } from "../graph/examples";
import { validateGraph } from "../graph/validate";
import { describeParameter, displayParameter } from "../param-display";
import { rewardNode } from "./reward";

/** An example workflow whose Reward is a custom scorer with the given scorer input. */
function withScorerInput(value: unknown) {
  const document = structuredClone(exampleWorkflows[0]!.document);
  const reward = document.nodes.find((node) => node.type === "reward");
  if (!reward) throw new Error("the example has no Reward");
  reward.params = {
    ...reward.params,
    kind: "custom-onnx",
    modelAsset: "casset0000000001",
    scorerInput: value,
  };
  return { document, rewardId: reward.id };
}

describe("Reward › Scorer input", () => {
  it("defaults to the old behaviour (as set below) and accepts CLIP", () => {
    expect(rewardNode.params.parse({}).scorerInput).toBe("as-is");
    expect(rewardNode.params.parse({ scorerInput: "clip" }).scorerInput).toBe("clip");
    expect(rewardNode.params.safeParse({ scorerInput: "imagenet" }).success).toBe(false);
  });

  it("is validated in a workflow, and a saved CLIP choice reads back as saved", () => {
    const bad = withScorerInput("imagenet");
    const issues = validateGraph(bad.document);
    expect(issues.some((issue) => issue.nodeId === bad.rewardId && issue.param === "scorerInput")).toBe(true);
    const good = withScorerInput("clip");
    expect(validateGraph(good.document).filter((issue) => issue.param === "scorerInput")).toEqual([]);
    const parsed = parseGraphDocument(JSON.parse(JSON.stringify(good.document)));
    if (!parsed.ok) throw new Error(parsed.error.message);
    const reward = parsed.document.nodes.find((node) => node.id === good.rewardId);
    expect(reward?.params.scorerInput).toBe("clip");
  });

  it("shows in the editor's words, only for the custom scorer", () => {
    expect(describeParameter("reward", "scorerInput").label).toBe("Scorer input");
    expect(describeParameter("reward", "scorerInput").help).toMatch(/224 px/);
    expect(displayParameter("reward", "scorerInput", "clip").text).toBe("CLIP (224 px, CLIP mean/std)");
    expect(displayParameter("reward", "scorerInput", "as-is").text).toBe(
      "As set below (Input size, mean, spread)",
    );
    expect(describeParameter("reward", "scorerInput").field?.visibleWhen).toEqual({
      param: "kind",
      equals: ["custom-onnx"],
    });
  });
});
