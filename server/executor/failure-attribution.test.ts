/**
 * Failures are attributed to the node that failed: errors while building or scoring a Reward carry its node
 * id and display name, and a classifier that expects another picture size fails on the Reward that uses it,
 * not on the Sampler (also through the worker's executor adapter).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { errorNodeIdOf } from "@/server/worker/executor-port";
import { createDnoExecutor } from "@/server/worker/dno-executor";
import { buildTinyOnnx } from "@/server/onnx/tiny-onnx";
import { createOnnxRuntime } from "@/server/onnx/runtime";
import { registerRewardKind } from "@/nodes/kinds/registry";
import { registerRewardImplementation } from "@/server/kinds/registry";
import { createExecutorEnvironment, type ExecutorEnvironment } from "./environment";
import { createCustomOnnxReward } from "./custom-reward";
import { ExecutorError } from "./errors";
import { planRun } from "./plan";
import { runDno } from "./run-dno";
import { writeTinyDnoModelFolder } from "./testing/tiny-dno-model";
import { dnoWorkflow, type WorkflowSpec } from "./testing/workflows";

let modelDir: string;
let env: ExecutorEnvironment;

/** A classifier that declares 3×64×64 pictures (the tiny model makes smaller ones). */
function writeMismatchedClassifier(dir: string): void {
  mkdirSync(path.join(dir, "classifier"), { recursive: true });
  const model = buildTinyOnnx({
    inputs: [{ name: "image", type: "float32", shape: ["batch", 3, 64, 64] }],
    outputs: [{ name: "logits", type: "float32", shape: ["batch", 3] }],
    nodes: [
      {
        op: "ReduceMean",
        inputs: ["image"],
        outputs: ["logits"],
        intsAttributes: { axes: [2, 3] },
        intAttributes: { keepdims: 0 },
      },
    ],
  });
  writeFileSync(path.join(dir, "classifier", "model.onnx"), model);
  writeFileSync(
    path.join(dir, "classifier", "labels.json"),
    JSON.stringify({
      output: "logits",
      input: { name: "image" },
      heads: [{ name: "shape", offset: 0, classes: ["circle", "square", "triangle"] }],
    }),
  );
}

function spec(rewards: WorkflowSpec["rewards"]): WorkflowSpec {
  return {
    model: `user:${path.basename(modelDir)}`,
    prompt: "a red circle on blue background",
    noise: { seed: 3 },
    sampler: { steps: 2, eta: 1, guidanceScale: 3 },
    rewards,
    optimizer: { iterations: 2, learningRate: 0.05 },
  };
}

beforeAll(async () => {
  modelDir = writeTinyDnoModelFolder();
  writeMismatchedClassifier(modelDir);
  const onnx = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });
  env = await createExecutorEnvironment({
    onnx,
    vjpCacheDir: mkdtempSync(path.join(tmpdir(), "dno-vjp-")),
    directories: { bundledDir: path.resolve("models"), userDir: modelDir },
  });
  // A reward kind whose scoring fails, registered through the kind registry.
  registerRewardKind({
    id: "test-failing",
    order: 90,
    label: "Test: fails while scoring",
    help: "Throws while it scores a picture (a test kind).",
    params: [],
    gradient: "analytic",
  });
  registerRewardImplementation("test-failing", {
    create: () => ({
      id: "ignored",
      differentiable: true,
      evaluate: () => {
        throw new RangeError("the score came out as NaN");
      },
      valueAndGradient: () => {
        throw new RangeError("the score came out as NaN");
      },
    }),
  });
});

describe("failure attribution", () => {
  it("a classifier input-shape error names the Reward that uses it, with its node id", async () => {
    const plan = planRun(
      dnoWorkflow(
        spec([{ label: "Shape score", params: { kind: "classifier-probability", target: "shape:circle" } }]),
      ),
    );
    const failure = await runDno({ plan, env }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ExecutorError);
    expect((failure as ExecutorError).nodeId).toBe("reward-1");
    expect((failure as ExecutorError).message).toMatch(
      /^Reward “Shape score”: the classifier expects images of 3×64×64, got 3×\d+×\d+\. /,
    );
  });

  it("…and the worker's executor records it on the Reward, not on the Sampler", async () => {
    const executor = createDnoExecutor({ environment: async () => env });
    const document = dnoWorkflow(
      spec([{ label: "Shape score", params: { kind: "classifier-probability", target: "shape:circle" } }]),
    );
    const failure = await executor
      .execute({
        runId: "run-1",
        document,
        signal: new AbortController().signal,
        resume: null,
        onIteration: async () => {},
      })
      .catch((error: unknown) => error);
    expect(errorNodeIdOf(failure)).toBe("reward-1");
  });

  it("an error while a reward scores names that Reward (the second of two)", async () => {
    const plan = planRun(
      dnoWorkflow(
        spec([
          { label: "Bright", params: { kind: "brightness" } },
          { label: "Broken score", params: { kind: "test-failing" } },
        ]),
      ),
    );
    const failure = await runDno({ plan, env }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ExecutorError);
    expect((failure as ExecutorError).code).toBe("NODE_FAILED");
    expect((failure as ExecutorError).nodeId).toBe("reward-2");
    expect((failure as ExecutorError).message).toBe("Reward “Broken score”: the score came out as NaN");
  });

  it("a custom scoring model that expects another picture size says so, on its Reward", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "scorer-")), "scorer.onnx");
    writeFileSync(
      file,
      buildTinyOnnx({
        inputs: [{ name: "image", type: "float32", shape: ["batch", 3, 64, 64] }],
        outputs: [{ name: "score", type: "float32", shape: ["batch", 3] }],
        nodes: [
          {
            op: "ReduceMean",
            inputs: ["image"],
            outputs: ["score"],
            intsAttributes: { axes: [2, 3] },
            intAttributes: { keepdims: 0 },
          },
        ],
      }),
    );
    const failure = await createCustomOnnxReward(
      {
        id: "reward-1",
        modelAsset: "scorer",
        resize: 32,
        mean: [0.5, 0.5, 0.5],
        std: [0.5, 0.5, 0.5],
        outputIndex: 0,
      },
      env.onnx,
      { where: "Reward “Shape score”", assets: { scorerFile: async () => file } },
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ExecutorError);
    expect((failure as ExecutorError).nodeId).toBe("reward-1");
    expect((failure as ExecutorError).message).toBe(
      "Reward “Shape score”: the scoring model expects images of 3×64×64, got 3×32×32. Set “Input size” to 64.",
    );
  });
});
