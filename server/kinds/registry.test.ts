/**
 * The kind registry end to end: a throwaway guard kind, registered through the same API the generated
 * indexes feed, is validated, planned, run (a short DNO run on the executor's tiny test model) and labelled;
 * a kind declared without an implementation is refused by name, and one missing from the implementation
 * map does not type-check.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { describeParams } from "@/nodes/describe-params";
import { validateGraph } from "@/nodes/graph/validate";
import { generatedGuardKinds } from "@/nodes/kinds/guards/index.generated";
import { metricLabels } from "@/nodes/kinds/metric-labels";
import {
  type GuardKind,
  getGuardKind,
  type RewardKind,
  registerGuardKind,
  registerRewardKind,
} from "@/nodes/kinds/registry";
import { getNodeDefinition } from "@/nodes/registry";
import { createExecutorEnvironment } from "@/server/executor/environment";
import { ExecutorError } from "@/server/executor/errors";
import { guardReportKeys, planRun } from "@/server/executor/plan";
import { runDno } from "@/server/executor/run-dno";
import { writeTinyDnoModelFolder } from "@/server/executor/testing/tiny-dno-model";
import { dnoWorkflow, type WorkflowSpec } from "@/server/executor/testing/workflows";
import { createOnnxRuntime } from "@/server/onnx/runtime";
import { earlyStopGuard } from "./guards/early-stop";
import { generatedGuardImplementations } from "./guards/index.generated";
import {
  getGuardImplementation,
  getRewardImplementation,
  registerGuardImplementation,
  registerRewardImplementation,
} from "./registry";
import { brightnessRewardImplementation } from "./rewards/brightness";
import type { GuardImplementation, RewardImplementation } from "./types";

const CONSTANT = "test-constant-penalty";
const UNIMPLEMENTED = "test-unimplemented";
const CONSTANT_REWARD = "test-constant";

let modelDir: string;
let vjpDir: string;

beforeAll(() => {
  modelDir = writeTinyDnoModelFolder();
  vjpDir = mkdtempSync(path.join(tmpdir(), "dno-vjp-"));
  // A noise guard that subtracts λ from the objective and reports λ: its effect is exact and easy to see.
  registerGuardKind({
    id: CONSTANT,
    order: 90,
    label: "Test: constant penalty",
    help: "Subtracts its strength from the objective at every iteration (a test kind).",
    params: ["lambda"],
    attachTo: "noise",
    whenFired: "the test penalty applied.",
    whenQuiet: "the test penalty did not apply.",
    reportKeys: () => [CONSTANT],
  });
  registerGuardImplementation(CONSTANT, {
    attachTo: "noise",
    createNoiseGuard: (params) => ({
      id: CONSTANT,
      evaluate: () => ({ value: params.lambda, fired: params.lambda > 0, penalty: params.lambda }),
    }),
  });
  // A reward that scores every picture 0.75, with a zero image gradient: one declaration, one implementation.
  registerRewardKind({
    id: CONSTANT_REWARD,
    order: 90,
    label: "Test: constant score",
    help: "Scores every picture 0.75 (a test kind).",
    params: ["jpegQuality"],
    gradient: "analytic",
  });
  registerRewardImplementation(CONSTANT_REWARD, {
    create: () => ({
      id: CONSTANT_REWARD,
      differentiable: true,
      evaluate: (images) => new Float64Array(images.batch).fill(0.75),
      valueAndGradient: (images) => ({
        scores: new Float64Array(images.batch).fill(0.75),
        gradient: new Float32Array(images.data.length),
      }),
    }),
  });
  registerGuardKind({
    id: UNIMPLEMENTED,
    order: 91,
    label: "Test: declared only",
    help: "Declared without a server implementation (a test kind).",
    params: [],
    attachTo: "noise",
    whenFired: "never (declared only).",
    whenQuiet: "never (declared only).",
    reportKeys: () => [UNIMPLEMENTED],
  });
});

function spec(guardParams: Record<string, unknown>): WorkflowSpec {
  return {
    model: `user:${path.basename(modelDir)}`,
    prompt: "a red circle on blue background",
    noise: { seed: 5 },
    sampler: { steps: 3, eta: 1, guidanceScale: 3 },
    rewards: [{ label: "Bright", params: { kind: "brightness" } }],
    guards: [{ label: "Constant", params: guardParams }],
    optimizer: { iterations: 2, learningRate: 0.05 },
  };
}

async function environment() {
  const onnx = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });
  return createExecutorEnvironment({
    onnx,
    vjpCacheDir: vjpDir,
    directories: { bundledDir: path.resolve("models"), userDir: modelDir },
  });
}

describe("a guard kind registered at run time", () => {
  it("joins the Guard node's select, with its label, and shows only its params", () => {
    const fields = describeParams(getNodeDefinition("guard")!);
    const kind = fields.find((field) => field.name === "kind")!;
    expect(kind.options?.find((option) => option.value === CONSTANT)?.label).toBe("Test: constant penalty");
    expect(fields.find((field) => field.name === "lambda")?.visibleWhen?.equals).toEqual([
      "norm-prior",
      CONSTANT,
    ]);
    expect(fields.find((field) => field.name === "gamma")?.visibleWhen?.equals).toEqual([
      "probability-regularization",
    ]);
  });

  it("is validated: the kind is accepted, an undeclared one is refused on the kind param", () => {
    const ok = validateGraph(dnoWorkflow(spec({ kind: CONSTANT, lambda: 0.25 })));
    expect(ok.filter((issue) => issue.severity === "error" && issue.param === "kind")).toEqual([]);
    const bad = validateGraph(dnoWorkflow(spec({ kind: "test-never-declared" })));
    expect(bad.some((issue) => issue.nodeId === "guard-1" && issue.param === "kind")).toBe(true);
  });

  it("is planned with its declared attachment and report keys", () => {
    const plan = planRun(dnoWorkflow(spec({ kind: CONSTANT, lambda: 0.25 })), { skipValidation: true });
    expect(plan.guards.map((guard) => [guard.id, guard.attachTo])).toEqual([["guard-1", "noise"]]);
    expect(guardReportKeys(plan)).toEqual({ "guard-1": [CONSTANT] });
  });

  it("runs: its penalty enters the objective and its report is recorded, then labelled with its node", async () => {
    const env = await environment();
    const document = dnoWorkflow(spec({ kind: CONSTANT, lambda: 0.25 }));
    const result = await runDno({ plan: planRun(document, { skipValidation: true }), env });
    expect(result.history).toHaveLength(2);
    for (const record of result.history) {
      // A constant penalty has no gradient: it changed the update by 0 %, so it did not fire (only measured).
      expect(record.guards[CONSTANT]).toEqual({ value: 0.25, fired: false, change: 0 });
      // objective = brightness − λ (no other guard, one image).
      expect(record.objective).toBeCloseTo(record.rewards["reward-1"]! - 0.25, 6);
    }
    expect(metricLabels(document)[CONSTANT]).toBe("Constant");
    expect(metricLabels(document)["reward-1"]).toBe("Bright");
  });

  it("refuses, naming the Guard node, a kind declared without a server implementation", async () => {
    const env = await environment();
    const plan = planRun(dnoWorkflow(spec({ kind: UNIMPLEMENTED })), { skipValidation: true });
    const failure = await runDno({ plan, env }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ExecutorError);
    expect((failure as ExecutorError).nodeId).toBe("guard-1");
    expect((failure as ExecutorError).message).toBe(
      "Guard “Constant”: the guard kind “test-unimplemented” cannot run on this server. Pick another guard.",
    );
  });

  it("refuses an implementation whose attachment disagrees with the declaration, and a duplicate id", () => {
    expect(() =>
      registerGuardImplementation(UNIMPLEMENTED, {
        attachTo: "loop",
        createLoopGuard: () => ({ kind: "keep-best" }),
      }),
    ).toThrow(/declared to attach to "noise"/);
    expect(() => registerGuardKind({ ...getGuardKind("norm-prior")!, id: "norm-prior" })).toThrow(
      /declared twice/,
    );
    expect(() =>
      registerGuardImplementation("test-never-declared", getGuardImplementation("norm-prior")!),
    ).toThrow(/no declaration/);
  });
});

describe("a reward kind registered at run time", () => {
  const rewardSpec = (kind: string): WorkflowSpec => ({
    ...spec({ kind: "norm-prior", lambda: 0 }),
    rewards: [
      { label: "Bright", params: { kind: "brightness" } },
      { label: "Constant score", params: { kind, weight: 2 } },
    ],
  });

  it("joins the Reward node's select with its label and params, and is validated", () => {
    const fields = describeParams(getNodeDefinition("reward")!);
    const kind = fields.find((field) => field.name === "kind")!;
    expect(kind.options?.find((option) => option.value === CONSTANT_REWARD)?.label).toBe(
      "Test: constant score",
    );
    expect(fields.find((field) => field.name === "jpegQuality")?.visibleWhen?.equals).toContain(
      CONSTANT_REWARD,
    );
    const issues = validateGraph(dnoWorkflow(rewardSpec(CONSTANT_REWARD)));
    expect(issues.filter((issue) => issue.severity === "error")).toEqual([]);
    const bad = validateGraph(dnoWorkflow(rewardSpec("test-never-declared")));
    expect(bad.some((issue) => issue.nodeId === "reward-2" && issue.param === "kind")).toBe(true);
  });

  it("is planned with its declared gradient rule, run, and labelled", async () => {
    const document = dnoWorkflow(rewardSpec(CONSTANT_REWARD));
    const plan = planRun(document, { skipValidation: true });
    expect(plan.rewards.map((reward) => [reward.id, reward.kind, reward.gradient.kind])).toEqual([
      ["reward-1", "brightness", "analytic"],
      ["reward-2", CONSTANT_REWARD, "analytic"],
    ]);
    const result = await runDno({ plan, env: await environment() });
    for (const record of result.history) {
      expect(record.rewards["reward-2"]).toBe(0.75);
      expect(record.objective).toBeCloseTo(record.rewards["reward-1"]! + 2 * 0.75, 6);
    }
    expect(metricLabels(document)["reward-2"]).toBe("Constant score");
    expect(getRewardImplementation(CONSTANT_REWARD)).toBeDefined();
  });
});

describe("the generated guard kinds", () => {
  it("each have an implementation that attaches where the declaration says", () => {
    for (const declaration of generatedGuardKinds) {
      expect(getGuardImplementation(declaration.id)?.attachTo, declaration.id).toBe(declaration.attachTo);
    }
    expect(Object.keys(generatedGuardImplementations).sort()).toEqual(
      generatedGuardKinds.map((kind) => kind.id).sort(),
    );
  });

  it("a map missing a declared kind does not type-check", () => {
    // @ts-expect-error: "keep-best" and the other declared kinds have no implementation in this map.
    const incomplete = { "early-stop": earlyStopGuard } satisfies {
      readonly [K in GuardKind]: GuardImplementation;
    };
    expect(Object.keys(incomplete)).toEqual(["early-stop"]);
    // @ts-expect-error: the declared reward kinds other than brightness have no implementation in this map.
    const rewards = { brightness: brightnessRewardImplementation } satisfies {
      readonly [K in RewardKind]: RewardImplementation;
    };
    expect(Object.keys(rewards)).toEqual(["brightness"]);
  });
});
