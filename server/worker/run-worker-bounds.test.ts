/**
 * No run can wedge the worker: a run stuck loading its model ends within seconds of a cancel (through the
 * ONNX signal scope, or by the worker giving up on an executor that ignores its signal), a load that times out
 * fails its run at the Sampler with the runtime's message, and the next queued run still completes.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { exampleWorkflows, type GraphDocument } from "@/nodes";
import { repoRoot } from "@/server/db/repo-root";
import { createExecutorEnvironment } from "@/server/executor/environment";
import { writeTinyDnoModelFolder } from "@/server/executor/testing/tiny-dno-model";
import { dnoWorkflow } from "@/server/executor/testing/workflows";
import {
  createOnnxRuntime,
  nativeSessionFactory,
  releaseCachedSessions,
  type SessionFactory,
} from "@/server/onnx/runtime";
import { cancelRun } from "../services/runs/cancel-run";
import { getRun, type RunDetail } from "../services/runs/get-run";
import { startRun } from "../services/runs/start-run";
import { createTestDatabase, type TestDatabase } from "../services/test-database";
import { createWorkflow } from "../services/workflows/create-workflow";
import { createDnoExecutor } from "./dno-executor";
import type { RunExecutor } from "./executor-port";
import { createDatabaseRunQueue } from "./queue";
import { publishRunEvent } from "./run-events";
import { RunWorker } from "./run-worker";
import { createSmallLoopExecutor } from "./testing/small-loop-executor";

let database: TestDatabase;
let dataDir: string;
let modelsRoot: string;
const previousDataDir = process.env.DNO_DATA_DIR;
const previousModelsDir = process.env.MODELS_DIR;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "dno-worker-bounds-"));
  process.env.DNO_DATA_DIR = dataDir;
  database = await createTestDatabase();
  // Samplers name models by id: the tiny model is offered as "user:tiny" from a MODELS_DIR of its own.
  modelsRoot = fs.mkdtempSync(path.join(os.tmpdir(), "dno-worker-bounds-models-"));
  fs.renameSync(writeTinyDnoModelFolder(), path.join(modelsRoot, "tiny"));
  process.env.MODELS_DIR = modelsRoot;
});
afterAll(async () => {
  await database.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(modelsRoot, { recursive: true, force: true });
  if (previousDataDir === undefined) delete process.env.DNO_DATA_DIR;
  else process.env.DNO_DATA_DIR = previousDataDir;
  if (previousModelsDir === undefined) delete process.env.MODELS_DIR;
  else process.env.MODELS_DIR = previousModelsDir;
});

function startWorker(executor: RunExecutor, options: { cancelPollMs?: number } = {}): RunWorker {
  const worker = new RunWorker({
    ctx: database.ctx,
    queue: createDatabaseRunQueue(database.ctx),
    executor,
    pollMs: 20,
    abandonAfterMs: 300,
    ...options,
  });
  worker.start();
  return worker;
}

async function waitFor<T>(what: string, probe: () => Promise<T | null | false>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const status = async (runId: string) => (await getRun(database.ctx, { runId })).status;
const finished = (runId: string, timeoutMs?: number): Promise<RunDetail> =>
  waitFor(
    `run ${runId} to finish`,
    async () => {
      const run = await getRun(database.ctx, { runId });
      return ["succeeded", "failed", "cancelled", "interrupted"].includes(run.status) ? run : null;
    },
    timeoutMs,
  );

async function submit(document: GraphDocument) {
  const workflow = await createWorkflow(database.ctx, { name: "Bounds", document });
  const { run } = await startRun(database.ctx, {
    workflowId: workflow.id,
    versionId: workflow.headVersion.id,
    checkpointEvery: 1,
  });
  return run;
}

function tinyDnoDocument(): GraphDocument {
  return dnoWorkflow({
    model: "user:tiny",
    sampler: { steps: 2 },
    rewards: [{ params: { kind: "brightness", weight: 1 } }],
    optimizer: { iterations: 2 },
  });
}

function smallDocument(iterations: number): GraphDocument {
  const example = exampleWorkflows.find((candidate) => candidate.slug === "brighten-with-a-guard");
  if (!example) throw new Error("the brighten example is missing");
  const document = structuredClone(example.document);
  for (const node of document.nodes) {
    if (node.type === "optimizer") node.params = { ...node.params, iterations };
  }
  return document;
}

/** What the run router does on cancel: mark the row, then tell the in-process worker. */
async function cancel(runId: string): Promise<void> {
  await cancelRun(database.ctx, { runId });
  publishRunEvent({ type: "cancel-requested", runId });
}

/** A DNO executor whose ONNX session loads hang while `hang.on` (a native load that never returns). */
function dnoExecutorWithHangingLoads(hang: { on: boolean }, limits: { loadTimeoutMs?: number } = {}) {
  const createSession: SessionFactory = (modelPath, options) =>
    hang.on ? new Promise(() => undefined) : nativeSessionFactory(modelPath, options);
  const environment = (async () =>
    createExecutorEnvironment({
      onnx: await createOnnxRuntime(
        { executionProvider: "cpu", intraOpThreads: 1, limits },
        { createSession },
      ),
      directories: { bundledDir: path.join(repoRoot(), "models"), userDir: modelsRoot },
      vjpCacheDir: path.join(dataDir, "vjp"),
    }))();
  return createDnoExecutor({ environment: () => environment });
}

describe("a worker no run can wedge", () => {
  // Sessions are cached process-wide by file hash: each test starts cold, so its session factory is used.
  beforeEach(() => releaseCachedSessions());

  it("cancel ends a run stuck loading its model within seconds; the next queued run completes", async () => {
    const hang = { on: true };
    const worker = startWorker(dnoExecutorWithHangingLoads(hang));
    try {
      const stuck = await submit(tinyDnoDocument());
      const next = await submit(tinyDnoDocument());
      await waitFor("the first run to start", async () => (await status(stuck.id)) === "running");
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await status(stuck.id)).toBe("running");
      hang.on = false;
      const cancelledAt = Date.now();
      await cancel(stuck.id);
      const done = await finished(stuck.id, 5000);
      expect(done.status).toBe("cancelled");
      expect(Date.now() - cancelledAt).toBeLessThan(3000);
      // The row is final before the worker's bookkeeping (feed line, notification) lets go of the run.
      await waitFor(
        "the worker to let go of the cancelled run",
        async () => !worker.activeRunIds.includes(stuck.id),
        3000,
      );
      // Ended by the ONNX signal scope inside the executor, not by the worker giving up on it.
      expect(done.log.map((entry) => entry.message)).not.toContainEqual(
        expect.stringMatching(/did not stop within/),
      );
      const after = await finished(next.id);
      expect(after.status).toBe("succeeded");
      expect(after.steps).toHaveLength(2);
    } finally {
      await worker.stop();
    }
  }, 120_000);

  it("a model load that times out fails the run at the Sampler with a clear message", async () => {
    const worker = startWorker(dnoExecutorWithHangingLoads({ on: true }, { loadTimeoutMs: 300 }));
    try {
      const run = await submit(tinyDnoDocument());
      const done = await finished(run.id, 10_000);
      expect(done.status).toBe("failed");
      expect(done.errorNodeId).toBe("sampler-1");
      // The executor may prefix the node ("Sampler “Sampler” cannot load its model: "); the cause is verbatim.
      expect(done.error).toContain(
        'Model "text_encoder" took longer than 0.3 s to load and was abandoned. ' +
          "Use a smaller model, or ask the administrator to raise ORT_LOAD_TIMEOUT_MS.",
      );
    } finally {
      await worker.stop();
    }
  }, 60_000);

  it("an executor that ignores its cancel signal is given up on, and the queue moves on", async () => {
    const inner = createSmallLoopExecutor();
    let calls = 0;
    const executor: RunExecutor = {
      device: "cpu",
      execute(request) {
        calls += 1;
        // The first run hangs for good, as a native call that never returns would.
        return calls === 1 ? new Promise(() => undefined) : inner.execute(request);
      },
    };
    const worker = startWorker(executor);
    try {
      const stuck = await submit(smallDocument(3));
      const next = await submit(smallDocument(3));
      await waitFor("the first run to start", async () => (await status(stuck.id)) === "running");
      const cancelledAt = Date.now();
      await cancel(stuck.id);
      const done = await finished(stuck.id, 5000);
      expect(done.status).toBe("cancelled");
      expect(Date.now() - cancelledAt).toBeLessThan(3000);
      expect(done.log.map((entry) => entry.message)).toContain(
        "The run's current model call did not stop within 0.3 s; the worker moved on and lets that call end in the background.",
      );
      expect((await finished(next.id)).status).toBe("succeeded");
    } finally {
      await worker.stop();
    }
  }, 60_000);

  it("a cancel requested from another process (no event, only the row) still ends a stuck run", async () => {
    const executor: RunExecutor = { device: "cpu", execute: () => new Promise(() => undefined) };
    const worker = startWorker(executor, { cancelPollMs: 100 });
    try {
      const stuck = await submit(smallDocument(3));
      await waitFor("the run to start", async () => (await status(stuck.id)) === "running");
      const cancelledAt = Date.now();
      await cancelRun(database.ctx, { runId: stuck.id });
      expect((await finished(stuck.id, 5000)).status).toBe("cancelled");
      expect(Date.now() - cancelledAt).toBeLessThan(3000);
    } finally {
      await worker.stop();
    }
  }, 60_000);
});
