/**
 * A 3-iteration DNO run on the scaled-down SD-1.5 and SD-2.1 (v-prediction) exports, the way a user's run
 * goes: the folder sits in MODELS_DIR (so the workflow names it `user:sd15`), the workflow is saved, `startRun` queues the run, and the
 * app's RunWorker claims it and runs the real DNO executor (forward, brightness, PR guard, the chain's VJPs,
 * Adam). Each iteration is persisted as a RunStep with its rewards and a PNG.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createExecutorEnvironment, type ExecutorEnvironment } from "@/server/executor/environment";
import { dnoWorkflow } from "@/server/executor/testing/workflows";
import { decodePng } from "@/server/models/image";
import { copyTinySdArch } from "@/server/models/testing/sd-arch-copy";
import { createOnnxRuntime } from "@/server/onnx/runtime";
import { readArtifactFile } from "@/server/services/runs/artifact-store";
import { getRun, type RunDetail } from "@/server/services/runs/get-run";
import { startRun } from "@/server/services/runs/start-run";
import { createTestDatabase, type TestDatabase } from "@/server/services/test-database";
import { createWorkflow } from "@/server/services/workflows/create-workflow";
import { createDnoExecutor } from "@/server/worker/dno-executor";
import { createDatabaseRunQueue } from "@/server/worker/queue";
import { RunWorker } from "@/server/worker/run-worker";

let database: TestDatabase;
let dataDir: string;
let modelsRoot: string;
const environments = new Map<"recompute" | "store", Promise<ExecutorEnvironment>>();
const previous = { dataDir: process.env.DNO_DATA_DIR, modelsDir: process.env.MODELS_DIR };

function restore(name: "DNO_DATA_DIR" | "MODELS_DIR", value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "dno-sd-run-data-"));
  process.env.DNO_DATA_DIR = dataDir;
  database = await createTestDatabase();
  modelsRoot = fs.mkdtempSync(path.join(os.tmpdir(), "dno-sd-run-models-"));
  process.env.MODELS_DIR = modelsRoot;
  for (const arch of ["sd15", "sd21"]) {
    const dir = path.join(modelsRoot, arch);
    // As a user's folder, with the unet/config.json an optimum export writes (8×8 latents keep iterations short).
    copyTinySdArch(arch, dir);
  }
  const onnx = createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });
  // One environment per backward memory mode, sharing ONNX Runtime (and so the sessions).
  for (const memoryMode of ["recompute", "store"] as const) {
    environments.set(
      memoryMode,
      (async () =>
        createExecutorEnvironment({
          onnx: await onnx,
          vjpCacheDir: path.join(dataDir, "vjp"),
          memoryMode,
        }))(),
    );
  }
});

afterAll(async () => {
  await database.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(modelsRoot, { recursive: true, force: true });
  restore("DNO_DATA_DIR", previous.dataDir);
  restore("MODELS_DIR", previous.modelsDir);
});

async function finished(runId: string, timeoutMs: number): Promise<RunDetail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await getRun(database.ctx, { runId });
    if (["succeeded", "failed", "cancelled", "interrupted"].includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${run.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// Most of the time goes to ONNX Runtime creating the UNet VJP session (tens of seconds on 2 busy cores).
const SLOW = 600_000;

describe("a DNO run through the worker on the tiny SD exports in MODELS_DIR", () => {
  // Each export in one of the two backward memory modes (METHOD.md §4): whole VJPs, or split models fed
  // the forward's kept activations.
  it.each([
    { name: "SD-1.5", arch: "sd15", memoryMode: "recompute" },
    { name: "SD-2.1 (v-prediction)", arch: "sd21", memoryMode: "store" },
  ] as const)(
    "$name, memory mode $memoryMode: runs 3 iterations, persists each with a finite reward and a picture, and succeeds",
    async ({ arch, memoryMode }) => {
      const environment = environments.get(memoryMode);
      if (!environment) throw new Error(`no environment for ${memoryMode}`);
      const document = dnoWorkflow({
        model: `user:${arch}`,
        prompt: "a red circle",
        noise: { seed: 5 },
        sampler: { steps: 2, eta: 1, guidanceScale: 3 },
        rewards: [{ params: { kind: "brightness" } }],
        guards: [{ params: { kind: "probability-regularization", permutations: 4 } }],
        optimizer: { iterations: 3, learningRate: 0.05 },
      });
      const workflow = await createWorkflow(database.ctx, { name: `Tiny ${arch}`, document });
      const { run } = await startRun(database.ctx, {
        workflowId: workflow.id,
        versionId: workflow.headVersion.id,
      });
      expect(run.status).toBe("queued");
      const worker = new RunWorker({
        ctx: database.ctx,
        queue: createDatabaseRunQueue(database.ctx),
        executor: createDnoExecutor({ environment: () => environment }),
        pollMs: 20,
      });
      worker.start();
      let done: RunDetail;
      try {
        done = await finished(run.id, SLOW - 30_000);
      } finally {
        await worker.stop();
      }
      expect(done.error).toBeNull();
      expect(done.status).toBe("succeeded");
      expect(done.iterationsDone).toBe(3);
      expect(done.log.map((entry) => entry.message)).toContainEqual(
        expect.stringContaining(`Memory mode ${memoryMode}`),
      );
      expect(done.steps.map((step) => step.iteration)).toEqual([0, 1, 2]);
      for (const step of done.steps) {
        const reward = step.metrics.rewards["reward-1"];
        expect(Number.isFinite(reward)).toBe(true);
        expect(Number.isFinite(step.metrics.objective)).toBe(true);
        // A gradient came back through the VAE and UNet VJPs.
        expect(step.metrics.gradNorm).toBeGreaterThan(0);
        expect(Number.isFinite(step.metrics.gradNorm)).toBe(true);
        const artifact = await database.db.artifact.findUniqueOrThrow({
          where: { id: step.imageArtifactId ?? "" },
        });
        const png = decodePng(await readArtifactFile(artifact.storageKey));
        expect([png.width, png.height]).toEqual([64, 64]);
      }
      // Three Adam steps on brightness move the picture (the noise changed, so the reward did).
      const rewards = done.steps.map((step) => step.metrics.rewards["reward-1"]!);
      expect(new Set(rewards).size).toBe(3);
    },
    SLOW,
  );
});
