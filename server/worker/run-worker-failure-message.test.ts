/**
 * A failed run's recorded message is for people: no absolute server paths, no ONNX Runtime source locations,
 * no JavaScript internals. The full error goes to the server log under the run's id.
 */
import { describe, expect, it, vi } from "vitest";
import { exampleWorkflows } from "@/nodes";
import { getRun, type RunDetail } from "../services/runs/get-run";
import { startRun } from "../services/runs/start-run";
import { testDatabaseWithDataDir } from "../services/test-database-with-data-dir";
import { createWorkflow } from "../services/workflows/create-workflow";
import { createDatabaseRunQueue } from "./queue";
import { RunWorker } from "./run-worker";
import { createSmallLoopExecutor } from "./testing/small-loop-executor";

const fixture = testDatabaseWithDataDir("dno-failure-message-");

async function failWith(error: Error): Promise<{ run: RunDetail; logged: string }> {
  const example = exampleWorkflows.find((candidate) => candidate.slug === "brighten-with-a-guard");
  if (!example) throw new Error("the brighten example is missing");
  const document = structuredClone(example.document);
  for (const node of document.nodes) {
    if (node.type === "optimizer") node.params = { ...node.params, iterations: 3 };
  }
  const workflow = await createWorkflow(fixture.database.ctx, { name: "Fails", document });
  const { run } = await startRun(fixture.database.ctx, {
    workflowId: workflow.id,
    versionId: workflow.headVersion.id,
    checkpointEvery: 1,
  });
  const lines: string[] = [];
  const spy = vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
    lines.push(
      args.map((arg) => (arg instanceof Error ? `${arg.message}\n${arg.stack}` : String(arg))).join(" "),
    );
  });
  const worker = new RunWorker({
    ctx: fixture.database.ctx,
    queue: createDatabaseRunQueue(fixture.database.ctx),
    executor: createSmallLoopExecutor({ throwAt: { iteration: 1, error } }),
    concurrency: 1,
    pollMs: 20,
  });
  worker.start();
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const current = await getRun(fixture.database.ctx, { runId: run.id });
      if (["failed", "succeeded", "cancelled", "interrupted"].includes(current.status)) {
        return { run: current, logged: lines.join("\n") };
      }
      if (Date.now() > deadline) throw new Error("the run did not finish");
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } finally {
    await worker.stop();
    spy.mockRestore();
  }
}

describe("recorded failure messages", () => {
  it("strips server paths and ONNX Runtime source locations, keeping the cause", async () => {
    const { run, logged } = await failWith(
      new Error(
        "[ONNXRuntimeError] : 2 : INVALID_ARGUMENT : Got invalid dimensions for input: image Status Message: /onnxruntime_src/onnxruntime/core/framework/execution_frame.cc:171 onnxruntime::common::Status onnxruntime::IExecutionFrame::GetOrCreateNodeOutputMLValue(int) shape mismatch in /work/main/models/tiny/classifier.onnx",
      ),
    );
    expect(run.status).toBe("failed");
    expect(run.error).toBe(
      "[ONNXRuntimeError] : 2 : INVALID_ARGUMENT : Got invalid dimensions for input: image Status Message: shape mismatch in classifier.onnx",
    );
    expect(logged).toContain("/work/main/models/tiny/classifier.onnx");
    expect(logged).toContain(`Run ${run.id} failed`);
  });

  it("replaces JavaScript internals by a sentence naming the run", async () => {
    const { run, logged } = await failWith(
      new TypeError("Cannot destructure property 'json' of 'A' as it is undefined."),
    );
    expect(run.error).toBe(
      `Something went wrong on the server (run ${run.id}). The details are in the server log.`,
    );
    expect(logged).toContain("Cannot destructure property");
  });
});
