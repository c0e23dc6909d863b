/**
 * The worker with the real DNO executor on the tiny nonlinear model folder: iterations arrive as RunSteps
 * with images, and a run whose worker dies resumes on another worker (after the lease expires) from its
 * checkpoint to the same numbers and pixels as an uninterrupted run.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createExecutorEnvironment, type ExecutorEnvironment } from "@/server/executor/environment";
import { writeTinyDnoModelFolder } from "@/server/executor/testing/tiny-dno-model";
import { dnoWorkflow } from "@/server/executor/testing/workflows";
import { createOnnxRuntime } from "@/server/onnx/runtime";
import { readArtifactFile } from "../services/runs/artifact-store";
import { getRun, type RunDetail } from "../services/runs/get-run";
import { startRun } from "../services/runs/start-run";
import { createTestDatabase, type TestDatabase } from "../services/test-database";
import { createWorkflow } from "../services/workflows/create-workflow";
import { createDnoExecutor, decodeDnoCheckpoint, encodeDnoCheckpoint } from "./dno-executor";
import type { RunExecutor } from "./executor-port";
import { createDatabaseRunQueue } from "./queue";
import { RunWorker } from "./run-worker";

let database: TestDatabase;
let dataDir: string;
let modelDir: string;
let environment: Promise<ExecutorEnvironment>;
let modelsRoot: string;
const previousDataDir = process.env.DNO_DATA_DIR;
const previousModelsDir = process.env.MODELS_DIR;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "dno-runs-exec-"));
  process.env.DNO_DATA_DIR = dataDir;
  database = await createTestDatabase();
  // Workflows name models by id: the tiny folder (and a broken copy) sit in a MODELS_DIR as user:<folder>.
  modelsRoot = fs.mkdtempSync(path.join(os.tmpdir(), "dno-models-"));
  process.env.MODELS_DIR = modelsRoot;
  modelDir = path.join(modelsRoot, "tiny");
  fs.cpSync(writeTinyDnoModelFolder(), modelDir, { recursive: true });
  environment = (async () =>
    createExecutorEnvironment({
      onnx: await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 }),
      vjpCacheDir: path.join(dataDir, "vjp"),
    }))();
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

function executor(): RunExecutor {
  return createDnoExecutor({ environment: () => environment });
}

function startWorker(runExecutor: RunExecutor, leaseMs = 2000): RunWorker {
  const worker = new RunWorker({
    ctx: database.ctx,
    queue: createDatabaseRunQueue(database.ctx),
    executor: runExecutor,
    pollMs: 20,
    leaseMs,
  });
  worker.start();
  return worker;
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | null | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const finished = (runId: string) =>
  waitFor(`run ${runId}`, async () => {
    const run = await getRun(database.ctx, { runId });
    return ["succeeded", "failed", "cancelled", "interrupted"].includes(run.status) ? run : null;
  });

async function pixels(run: RunDetail): Promise<string[]> {
  const out: string[] = [];
  for (const step of run.steps) {
    const artifact = await database.db.artifact.findUniqueOrThrow({
      where: { id: step.imageArtifactId ?? "" },
    });
    out.push((await readArtifactFile(artifact.storageKey)).toString("base64"));
  }
  return out;
}

const numbers = (run: RunDetail) => run.steps.map(({ metrics: { ms: _ms, ...rest } }) => rest);

describe("worker + DNO executor (tiny model)", () => {
  it("round-trips a DNO checkpoint through the binary codec exactly", async () => {
    const checkpoint = {
      format: "dno-studio.checkpoint" as const,
      version: 1 as const,
      fingerprint: "abc",
      nextIteration: 3,
      noise: [[Math.fround(0.1), -2.5, Math.fround(1 / 3)]],
      optimizer: { kind: "adam" as const, step: 3, buffers: { m: [[1e-9, 0.3]], v: [[2, 1 / 7]] } },
      plateau: null,
      best: { iteration: 1, score: 0.25, noise: [[Math.fround(0.7)]], image: [Math.fround(-0.2), 0] },
      initialImage: [Math.fround(0.5)],
      history: [],
      evaluations: { forward: 3, vjp: 3 },
    };
    expect(decodeDnoCheckpoint(encodeDnoCheckpoint(checkpoint))).toEqual(checkpoint);
  });

  it("runs, loses its worker, resumes on another after the lease expires, and ends identical to an uninterrupted run", async () => {
    const document = dnoWorkflow({
      model: "user:tiny",
      noise: { seed: 5 },
      sampler: { steps: 3, eta: 1, guidanceScale: 3 },
      rewards: [{ params: { kind: "brightness" } }],
      guards: [{ params: { kind: "probability-regularization", permutations: 4 } }],
      optimizer: { iterations: 6, learningRate: 0.05 },
    });
    const workflow = await createWorkflow(database.ctx, { name: "Tiny DNO", document });
    const submit = async () =>
      (await startRun(database.ctx, { workflowId: workflow.id, versionId: workflow.headVersion.id })).run;

    const first = startWorker(executor());
    let reference: RunDetail;
    try {
      reference = await finished((await submit()).id);
    } finally {
      await first.stop();
    }
    expect(reference.status).toBe("succeeded");
    expect(reference.steps).toHaveLength(6);
    const rewards = reference.steps.map((step) => step.metrics.rewards["reward-1"] ?? Number.NaN);
    expect(rewards.at(-1)).toBeGreaterThan(rewards[0] ?? Number.POSITIVE_INFINITY);
    expect(reference.steps[0]?.metrics.pr).not.toBeNull();
    // The memory mode the executor chose is stored with the run (its log) and read back for the run page.
    expect(reference.memory?.mode).toMatch(/^(recompute|store)$/);
    expect(reference.memory?.reason).toMatch(/^Memory mode (recompute|store)/);

    const inner = executor();
    const dying: RunExecutor = {
      device: "cpu",
      execute: (request) =>
        inner.execute({
          ...request,
          onIteration: async (report) => {
            if (report.metrics.iteration >= 3) {
              await new Promise((resolve) => request.signal.addEventListener("abort", resolve));
              throw new Error("process gone");
            }
            await request.onIteration(report);
          },
        }),
    };
    const crashed = startWorker(dying);
    const run = await submit();
    await waitFor(
      "3 iterations",
      async () => (await getRun(database.ctx, { runId: run.id })).iterationsDone >= 3,
    );
    // The worker process dies (no more writes or heartbeats); a fresh worker resumes the run once its
    // lease has expired.
    await crashed.halt();
    const again = startWorker(executor());
    try {
      const done = await finished(run.id);
      expect(done.status).toBe("succeeded");
      expect(numbers(done)).toEqual(numbers(reference));
      expect(await pixels(done)).toEqual(await pixels(reference));
    } finally {
      await again.stop();
    }
  }, 120_000);

  it("fails a run whose model file is broken on the Sampler node, and the worker goes on", async () => {
    const broken = path.join(modelsRoot, "broken");
    fs.cpSync(modelDir, broken, { recursive: true });
    fs.writeFileSync(path.join(broken, "unet", "model.onnx"), Buffer.from("this is not an ONNX file"));
    const spec = {
      noise: { seed: 5 },
      sampler: { steps: 2, eta: 1, guidanceScale: 3 },
      rewards: [{ params: { kind: "brightness" } }],
      optimizer: { iterations: 2, learningRate: 0.05 },
    };
    const bad = await createWorkflow(database.ctx, {
      name: "Broken model",
      document: dnoWorkflow({ model: "user:broken", ...spec }),
    });
    const good = await createWorkflow(database.ctx, {
      name: "Good model",
      document: dnoWorkflow({ model: "user:tiny", ...spec }),
    });
    const worker = startWorker(executor());
    try {
      const failed = await finished(
        (await startRun(database.ctx, { workflowId: bad.id, versionId: bad.headVersion.id })).run.id,
      );
      expect(failed.status).toBe("failed");
      expect(failed.errorNodeId).toBe("sampler-1");
      expect(failed.error).toMatch(/unet|onnx|model/i);
      const next = await finished(
        (await startRun(database.ctx, { workflowId: good.id, versionId: good.headVersion.id })).run.id,
      );
      expect(next.status).toBe("succeeded");
    } finally {
      await worker.stop();
      fs.rmSync(broken, { recursive: true, force: true });
    }
  }, 120_000);
});
