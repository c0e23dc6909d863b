import { describe, expect, it } from "vitest";
import { dnoWorkflow } from "@/server/executor/testing/workflows";
import { metricKeyNodes, metricLabels } from "./metric-labels";

const document = dnoWorkflow({
  model: "tiny-shapes-sd",
  rewards: [{ label: "Bright", params: { kind: "brightness" } }],
  guards: [
    { label: "Meter", params: { kind: "probability-regularization" } },
    { label: "Leash", params: { kind: "trust-region" } },
    {
      label: "Floor",
      params: { kind: "keeper-floor" },
      keeper: { label: "Faithful", params: { kind: "prompt-faithfulness" } },
    },
    { label: "Patience", params: { kind: "early-stop" } },
    { params: { kind: "keep-best" } },
  ],
});

describe("metric keys of a run, by node", () => {
  it("maps every report key a guard kind declares to its Guard node", () => {
    expect(metricKeyNodes(document)).toMatchObject({
      "reward-1": "reward-1",
      "probability-regularization": "guard-1",
      "trust-region": "guard-2",
      "trust-region:projection": "guard-2",
      "keeper-floor:keeper-3": "guard-3",
      "plateau-stop": "guard-4",
      "best-iterate": "guard-5",
    });
  });

  it("labels them with the node's label, or its id", () => {
    const labels = metricLabels(document);
    expect(labels["reward-1"]).toBe("Bright");
    expect(labels["trust-region:projection"]).toBe("Leash");
    expect(labels["keeper-floor:keeper-3"]).toBe("Floor");
    expect(labels["keeper-3"]).toBe("Faithful");
    expect(labels["best-iterate"]).toBe("guard-5");
    expect(metricLabels(undefined)).toEqual({});
  });
});
