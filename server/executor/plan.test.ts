import { describe, expect, it } from "vitest";
import { exampleWorkflows } from "@/nodes/graph/examples";
import { type ExecutorError, PlanRefusedError, WorkflowInvalidError } from "./errors";
import { describePlan, guardReportKeys, planRun } from "./plan";
import { dnoWorkflow } from "./testing/workflows";

describe("planRun", () => {
  it("orders the nodes and finds the differentiable path with a gradient rule per node", () => {
    const plan = planRun(
      dnoWorkflow({
        model: "tiny-shapes-sd",
        rewards: [
          { params: { kind: "brightness" } },
          { params: { kind: "classifier-probability", weight: 0.5 } },
        ],
        guards: [
          { params: { kind: "probability-regularization" } },
          {
            params: { kind: "keeper-floor", floor: 0.4 },
            keeper: { params: { kind: "prompt-faithfulness" } },
          },
          { params: { kind: "keep-best" } },
        ],
      }),
    );
    const ids = plan.order.map((node) => node.id);
    for (const [before, after] of [
      ["prompt-1", "sampler-1"],
      ["noise-1", "sampler-1"],
      ["sampler-1", "reward-1"],
      ["reward-1", "optimizer-1"],
      ["keeper-2", "guard-2"],
    ]) {
      expect(ids.indexOf(before!)).toBeLessThan(ids.indexOf(after!));
    }
    expect(plan.path).toEqual(["noise-1", "sampler-1", "reward-1", "reward-2", "keeper-2", "optimizer-1"]);
    expect(plan.gradients["noise-1"]).toEqual({ kind: "variable", tensors: "initial-and-steps" });
    expect(plan.gradients["sampler-1"]).toEqual({ kind: "ddim-reverse" });
    expect(plan.gradients["reward-1"]).toEqual({ kind: "analytic" });
    expect(plan.gradients["reward-2"]).toEqual({ kind: "classifier-vjp" });
    const keeper = plan.rewards.find((reward) => reward.id === "keeper-2")!;
    expect(keeper.inObjective).toBe(false);
    expect(keeper.weight).toBe(0);
    expect(keeper.promptText).toBe("a red circle on a blue background");
    expect(plan.guards.map((guard) => guard.attachTo)).toEqual(["noise", "keeper-reward", "loop"]);
    expect(plan.guards[1]!.keeperRewardId).toBe("keeper-2");
    expect(describePlan(plan)).toHaveLength(plan.path.length);
    expect(guardReportKeys(plan)).toEqual({
      "guard-1": ["probability-regularization"],
      "guard-2": ["keeper-floor:keeper-2"],
      "guard-3": ["best-iterate"],
    });
  });

  it("optimizes only x_T when eta = 0 or when the Noise node asks for it", () => {
    const eta0 = planRun(
      dnoWorkflow({ model: "m", sampler: { eta: 0 }, rewards: [{ params: { kind: "brightness" } }] }),
    );
    expect(eta0.optimizeStepNoise).toBe(false);
    const initial = planRun(
      dnoWorkflow({
        model: "m",
        noise: { optimize: "initial" },
        rewards: [{ params: { kind: "brightness" } }],
      }),
    );
    expect(initial.gradients["noise-1"]).toEqual({ kind: "variable", tensors: "initial" });
  });

  it("refuses backprop through a JPEG reward, naming the node and what to choose", () => {
    const doc = dnoWorkflow({
      model: "tiny-shapes-sd",
      rewards: [{ label: "JPEG size", params: { kind: "jpeg-compressibility" } }],
    });
    let error: unknown;
    try {
      planRun(doc);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PlanRefusedError);
    expect((error as PlanRefusedError).message).toBe(
      "Reward “JPEG size” is not differentiable; set the Optimizer's gradient estimator to Hybrid or Zeroth-order.",
    );
    expect((error as PlanRefusedError).nodeId).toBe("reward-1");
    expect((error as ExecutorError).code).toBe("PLAN_REFUSED");
  });

  it("hands a JPEG reward to the hybrid or zeroth-order estimator", () => {
    for (const estimator of ["hybrid", "zeroth-order"] as const) {
      const plan = planRun(
        dnoWorkflow({
          model: "m",
          rewards: [{ params: { kind: "jpeg-compressibility" } }],
          optimizer: { estimator },
        }),
      );
      expect(plan.gradients["reward-1"]).toEqual({ kind: "estimator", estimator });
      expect(plan.gradients["sampler-1"]!.kind).toBe(estimator === "hybrid" ? "ddim-reverse" : "estimator");
    }
    const example = exampleWorkflows.find((workflow) => workflow.slug === "jpeg-hybrid-estimator")!;
    expect(planRun(example.document).estimator).toBe("hybrid");
  });

  it("lists every blocking validation issue of an invalid graph", () => {
    const doc = dnoWorkflow({ model: "m", rewards: [{ params: { kind: "brightness", weight: 1000 } }] });
    doc.edges = doc.edges.filter((edge) => edge.target !== "sampler-1" || edge.targetPort !== "noise");
    let error: unknown;
    try {
      planRun(doc);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(WorkflowInvalidError);
    const issues = (error as WorkflowInvalidError).issues;
    expect(issues.map((issue) => issue.nodeId).sort()).toEqual(["reward-1", "sampler-1"]);
  });

  it("refuses rewards on two different Samplers and a second Optimizer", () => {
    const doc = dnoWorkflow({
      model: "m",
      rewards: [{ params: { kind: "brightness" } }, { params: { kind: "contrast" } }],
    });
    doc.nodes.push({
      ...doc.nodes.find((node) => node.id === "sampler-1")!,
      id: "sampler-2",
      label: "Other",
    });
    doc.edges.push(
      {
        id: "x1",
        source: "prompt-1",
        sourcePort: "conditioning",
        target: "sampler-2",
        targetPort: "conditioning",
      },
      { id: "x2", source: "noise-1", sourcePort: "noise", target: "sampler-2", targetPort: "noise" },
    );
    const edge = doc.edges.find(
      (candidate) => candidate.target === "reward-2" && candidate.targetPort === "image",
    )!;
    edge.source = "sampler-2";
    expect(() => planRun(doc)).toThrow(/connect all Rewards to the same Sampler/);
    const two = dnoWorkflow({ model: "m", rewards: [{ params: { kind: "brightness" } }] });
    two.nodes.push({ ...two.nodes.find((node) => node.id === "optimizer-1")!, id: "optimizer-2" });
    two.edges.push({
      id: "y",
      source: "reward-1",
      sourcePort: "reward",
      target: "optimizer-2",
      targetPort: "rewards",
    });
    expect(() => planRun(two)).toThrow(/one Optimizer/);
  });
});
