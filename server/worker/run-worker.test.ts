import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { exampleWorkflows, type GraphDocument } from "@/nodes";
import { ExecutorError } from "@/server/executor/errors";
import { cancelRun } from "../services/runs/cancel-run";
import { getRun, type RunDetail } from "../services/runs/get-run";
import { readArtifactFile } from "../services/runs/artifact-store";
import { resumeRun } from "../services/runs/resume-run";
import { startRun } from "../services/runs/start-run";
import { createWorkflow } from "../services/workflows/create-workflow";
import { testDatabaseWithDataDir } from "../services/test-database-with-data-dir";
import type { RunExecutor } from "./executor-port";
import { createDatabaseRunQueue } from "./queue";
import { RunWorker } from "./run-worker";
import { createSmallLoopExecutor } from "./testing/small-loop-executor";

const fixture = testDatabaseWithDataDir("dno-runs-data-");

function smallDocument(iterations: number, seed = 7): GraphDocument {
  const example = exampleWorkflows.find((candidate) => candidate.slug === "brighten-with-a-guard");
  if (!example) throw new Error("the brighten example is missing");
  const document = structuredClone(example.document);
  for (const node of document.nodes) {
    if (node.type === "optimizer") node.params = { ...node.params, iterations, learningRate: 0.05 };
    if (node.type === "noise") node.params = { ...node.params, seed };
  }
  return document;
}

async function newWorkflow(iterations: number, seed = 7) {
  return createWorkflow(fixture.database.ctx, {
    name: `Runs ${iterations}/${seed}`,
    document: smallDocument(iterations, seed),
  });
}

async function submit(workflow: Awaited<ReturnType<typeof newWorkflow>>, checkpointEvery = 1) {
  const { run } = await startRun(fixture.database.ctx, {
    workflowId: workflow.id,
    versionId: workflow.headVersion.id,
    checkpointEvery,
  });
  return run;
}

function worker(
  executor: RunExecutor,
  concurrency = 1,
  options: { leaseMs?: number; maxAttempts?: number } = {},
): RunWorker {
  const instance = new RunWorker({
    ctx: fixture.database.ctx,
    queue: createDatabaseRunQueue(fixture.database.ctx),
    executor,
    concurrency,
    pollMs: 20,
    ...options,
  });
  instance.start();
  return instance;
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function finished(runId: string): Promise<RunDetail> {
  return waitFor(`run ${runId} to finish`, async () => {
    const run = await getRun(fixture.database.ctx, { runId });
    return ["succeeded", "failed", "cancelled", "interrupted"].includes(run.status) ? run : null;
  });
}

async function imageHashes(run: RunDetail): Promise<string[]> {
  const hashes: string[] = [];
  for (const step of run.steps) {
    const artifact = await fixture.database.db.artifact.findUniqueOrThrow({
      where: { id: step.imageArtifactId ?? "" },
    });
    hashes.push(
      createHash("sha256")
        .update(await readArtifactFile(artifact.storageKey))
        .digest("hex"),
    );
  }
  return hashes;
}

describe("run worker on the embedded queue", () => {
  it("runs a queued run to the end: one step per iteration with a PNG, the reward rises, a checkpoint", async () => {
    const runner = worker(createSmallLoopExecutor());
    try {
      const run = await submit(await newWorkflow(6));
      expect(run.status).toBe("queued");
      const done = await finished(run.id);
      expect(done.status).toBe("succeeded");
      expect(done.steps.map((step) => step.iteration)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(done.iterationsDone).toBe(6);
      const rewards = done.steps.map((step) => step.metrics.rewards["reward-1"] ?? Number.NaN);
      expect(rewards.at(-1)).toBeGreaterThan(rewards[0] ?? Number.POSITIVE_INFINITY);
      const png = await readArtifactFile(
        (await fixture.database.db.artifact.findUniqueOrThrow({ where: { id: done.images.final ?? "" } }))
          .storageKey,
      );
      expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
      expect(done.checkpointIteration).toBe(5);
      // Only the newest checkpoint is kept.
      const checkpoints = await fixture.database.db.artifact.findMany({
        where: { runId: run.id, kind: "checkpoint" },
      });
      expect(checkpoints.map((artifact) => artifact.iteration)).toEqual([5]);
      const checkpointFiles = fs
        .readdirSync(path.join(fixture.dataDir, "artifacts", run.id))
        .filter((name) => name.startsWith("checkpoint-"));
      expect(checkpointFiles).toEqual(["checkpoint-00005.bin"]);
      expect(done.images.initial).not.toBeNull();
      expect(done.bestIteration).not.toBeNull();
      expect(done.durationMs).toBeGreaterThanOrEqual(0);
    } finally {
      await runner.stop();
    }
  });

  it("cancels a running run within one iteration and keeps its iterations; a queued one at once", async () => {
    const runner = worker(createSmallLoopExecutor({ delayMs: 40 }));
    try {
      const workflow = await newWorkflow(200);
      const running = await submit(workflow);
      const queued = await submit(workflow);
      await waitFor(
        "two iterations",
        async () => (await getRun(fixture.database.ctx, { runId: running.id })).iterationsDone >= 2,
      );
      const cancelledQueued = await cancelRun(fixture.database.ctx, { runId: queued.id });
      expect(cancelledQueued.status).toBe("cancelled");
      await cancelRun(fixture.database.ctx, { runId: running.id });
      const atCancel = (await getRun(fixture.database.ctx, { runId: running.id })).iterationsDone;
      const done = await finished(running.id);
      expect(done.status).toBe("cancelled");
      // Seen at the next recorded step at the latest (no in-process bus event was sent here).
      expect(done.iterationsDone).toBeLessThanOrEqual(atCancel + 1);
      expect(done.steps.length).toBe(done.iterationsDone);
      expect(done.steps.length).toBeGreaterThanOrEqual(2);
      expect((await getRun(fixture.database.ctx, { runId: queued.id })).steps).toHaveLength(0);
      await expect(cancelRun(fixture.database.ctx, { runId: done.id })).resolves.toMatchObject({
        status: "cancelled",
      });
    } finally {
      await runner.stop();
    }
  });

  it("fails a run on a NaN reward at that reward's node, keeps earlier iterations, and goes on with the next run", async () => {
    const runner = worker(createSmallLoopExecutor({ nanAtIteration: 3 }));
    const workflow = await newWorkflow(6);
    const bad = await submit(workflow);
    try {
      const done = await finished(bad.id);
      expect(done.status).toBe("failed");
      expect(done.errorNodeId).toBe("reward-1");
      expect(done.error).toMatch(/non-finite reward NaN/);
      expect(done.steps.map((step) => step.iteration)).toEqual([0, 1, 2]);
      expect(done.log.at(-1)).toMatchObject({ level: "error", nodeId: "reward-1" });
    } finally {
      await runner.stop();
    }
    const healthy = worker(createSmallLoopExecutor());
    try {
      const next = await finished((await submit(await newWorkflow(3))).id);
      expect(next.status).toBe("succeeded");
      // A person resumes the failed run: it continues after its last checkpoint with a fresh crash budget.
      const resumed = await resumeRun(fixture.database.ctx, { runId: bad.id });
      expect(resumed.status).toBe("queued");
      expect(await fixture.database.db.run.findUniqueOrThrow({ where: { id: bad.id } })).toMatchObject({
        attempts: 0,
        leaseExpiresAt: null,
        workerId: null,
      });
      const again = await finished(bad.id);
      expect(again.status).toBe("succeeded");
      expect(again.steps.map((step) => step.iteration)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(again.log.map((entry) => entry.message)).toContainEqual("Resuming after iteration 2.");
    } finally {
      await healthy.stop();
    }
  });

  it("records an executor error with its node (bad model file) and out-of-memory in words", async () => {
    const modelError = new ExecutorError("MODEL_UNAVAILABLE", "unet/model.onnx is not an ONNX file.", {
      nodeId: "sampler-1",
    });
    const runner = worker(createSmallLoopExecutor({ throwAt: { iteration: 2, error: modelError } }));
    try {
      const done = await finished((await submit(await newWorkflow(5))).id);
      expect(done).toMatchObject({ status: "failed", errorNodeId: "sampler-1", error: modelError.message });
      expect(done.steps).toHaveLength(2);
    } finally {
      await runner.stop();
    }
    const oom = worker(
      createSmallLoopExecutor({
        throwAt: { iteration: 0, error: new RangeError("Array buffer allocation failed") },
      }),
    );
    try {
      const done = await finished((await submit(await newWorkflow(5))).id);
      expect(done.status).toBe("failed");
      expect(done.error).toMatch(/^Out of memory/);
    } finally {
      await oom.stop();
    }
  });

  it.each([1, 3])(
    "a dead worker's run stays its own while the lease lives (a starting worker leaves it alone), then is queued again and resumes with identical results (checkpoint every %i)",
    async (checkpointEvery) => {
      const iterations = 9;
      const reference = worker(createSmallLoopExecutor());
      const workflow = await newWorkflow(iterations, 11);
      let uninterrupted: RunDetail;
      try {
        uninterrupted = await finished((await submit(workflow, checkpointEvery)).id);
      } finally {
        await reference.stop();
      }
      // A worker whose process "dies" after 5 iterations: its executor stops answering mid-run, and then the
      // worker halts as a killed process would (no more writes, no more heartbeats).
      const inner = createSmallLoopExecutor();
      const dying: RunExecutor = {
        device: "cpu",
        execute: (request) =>
          inner.execute({
            ...request,
            onIteration: async (report) => {
              if (report.metrics.iteration >= 5) {
                await new Promise((resolve) => request.signal.addEventListener("abort", resolve));
                throw new Error("process gone");
              }
              await request.onIteration(report);
            },
          }),
      };
      const leaseMs = 2500;
      const crashed = worker(dying, 1, { leaseMs });
      const run = await submit(workflow, checkpointEvery);
      await waitFor(
        "five iterations",
        async () => (await getRun(fixture.database.ctx, { runId: run.id })).iterationsDone >= 5,
      );
      await crashed.halt();
      const held = await fixture.database.db.run.findUniqueOrThrow({ where: { id: run.id } });
      expect(held).toMatchObject({ status: "running", workerId: crashed.workerId, attempts: 1 });

      // A worker starting now must not touch it: the lease is still alive.
      const again = worker(createSmallLoopExecutor(), 1, { leaseMs });
      try {
        await new Promise((resolve) => setTimeout(resolve, 300));
        const untouched = await fixture.database.db.run.findUniqueOrThrow({ where: { id: run.id } });
        expect(untouched.leaseExpiresAt?.getTime()).toBeGreaterThan(Date.now());
        expect(untouched).toMatchObject({ status: "running", workerId: crashed.workerId, attempts: 1 });

        // Once the lease expires, the new worker's reaper queues it again and the worker resumes it.
        const done = await finished(run.id);
        expect(done.status).toBe("succeeded");
        expect(done.steps.map((step) => step.metrics.rewards)).toEqual(
          uninterrupted.steps.map((step) => step.metrics.rewards),
        );
        expect(
          done.steps.map((step) => [step.metrics.objective, step.metrics.gradNorm, step.metrics.guards]),
        ).toEqual(
          uninterrupted.steps.map((step) => [
            step.metrics.objective,
            step.metrics.gradNorm,
            step.metrics.guards,
          ]),
        );
        expect(await imageHashes(done)).toEqual(await imageHashes(uninterrupted));
        expect(done.bestIteration).toBe(uninterrupted.bestIteration);
        const messages = done.log.map((entry) => entry.message);
        expect(messages).toContainEqual(
          `Worker ${crashed.workerId} stopped renewing its lease; queued again to continue after iteration ${checkpointEvery === 1 ? 4 : 2}.`,
        );
        expect(messages).toContainEqual(expect.stringMatching(/^Resumed on cpu after iteration/));
        const row = await fixture.database.db.run.findUniqueOrThrow({ where: { id: run.id } });
        expect(row).toMatchObject({ attempts: 2, workerId: again.workerId, leaseExpiresAt: null });
      } finally {
        await again.stop();
      }
    },
  );

  it("stopping hands a running run back after its current iteration, checkpointed; another worker finishes it identically", async () => {
    const workflow = await newWorkflow(12, 5);
    const reference = worker(createSmallLoopExecutor());
    let uninterrupted: RunDetail;
    try {
      uninterrupted = await finished((await submit(workflow, 4)).id);
    } finally {
      await reference.stop();
    }
    const first = worker(createSmallLoopExecutor({ delayMs: 30 }));
    const run = await submit(workflow, 4);
    await waitFor(
      "two iterations",
      async () => (await getRun(fixture.database.ctx, { runId: run.id })).iterationsDone >= 2,
    );
    await first.stop();
    const handedBack = await fixture.database.db.run.findUniqueOrThrow({ where: { id: run.id } });
    // Checkpoints are every 4 iterations, but the iteration the worker finished on stopping has one.
    expect(handedBack).toMatchObject({ status: "queued", workerId: null, leaseExpiresAt: null, attempts: 0 });
    expect(handedBack.checkpointIteration).toBe(handedBack.iterationsDone - 1);
    expect(handedBack.iterationsDone).toBeLessThan(12);
    const workerRow = await fixture.database.db.worker.findUniqueOrThrow({ where: { id: first.workerId } });
    expect(workerRow.stoppedAt).not.toBeNull();
    expect(workerRow.runsDone).toBe(0);

    const second = worker(createSmallLoopExecutor());
    try {
      const done = await finished(run.id);
      expect(done.status).toBe("succeeded");
      expect(done.steps.map((step) => step.metrics.objective)).toEqual(
        uninterrupted.steps.map((step) => step.metrics.objective),
      );
      expect(await imageHashes(done)).toEqual(await imageHashes(uninterrupted));
      expect(done.log.map((entry) => entry.message)).toContainEqual(
        `Worker ${first.workerId} stopped and handed the run back; queued again to continue after iteration ${handedBack.checkpointIteration}.`,
      );
      expect(done.log.some((entry) => /interrupted/i.test(entry.message))).toBe(false);
      const secondRow = await fixture.database.db.worker.findUniqueOrThrow({
        where: { id: second.workerId },
      });
      expect(secondRow).toMatchObject({ runsDone: 1, stoppedAt: null, device: "cpu", concurrency: 1 });
    } finally {
      await second.stop();
    }
  });

  it("fails a run whose workers keep dying after DNO_WORKER_MAX_ATTEMPTS claims, with a sentence", {
    timeout: 15_000,
  }, async () => {
    const workflow = await newWorkflow(200);
    const run = await submit(workflow);
    const hanging: RunExecutor = {
      device: "cpu",
      execute: (request) =>
        new Promise((_, reject) => request.signal.addEventListener("abort", () => reject(new Error("gone")))),
    };
    for (let attempt = 1; attempt <= 2; attempt++) {
      const doomed = worker(hanging, 1, { leaseMs: 600, maxAttempts: 2 });
      await waitFor("the claim", async () => doomed.activeRunIds.includes(run.id));
      await doomed.halt();
      expect(await fixture.database.db.run.findUniqueOrThrow({ where: { id: run.id } })).toMatchObject({
        status: "running",
        workerId: doomed.workerId,
        attempts: attempt,
      });
    }
    const reaper = worker(hanging, 1, { leaseMs: 600, maxAttempts: 2 });
    try {
      const done = await finished(run.id);
      expect(done.status).toBe("failed");
      expect(done.error).toMatch(
        /^Its worker stopped responding 2 times while running it \(last: worker worker-.*\), so it was not started again\. Check the workers' logs/,
      );
    } finally {
      await reaper.stop();
    }
  });

  it("DNO_WORKER_CONCURRENCY runs at a time on one worker, each under its own lease", async () => {
    const runner = worker(createSmallLoopExecutor({ delayMs: 40 }), 2);
    try {
      const workflow = await newWorkflow(15);
      const runs = [await submit(workflow), await submit(workflow), await submit(workflow)];
      const together = await waitFor("two runs at once", async () => {
        const rows = await fixture.database.db.run.findMany({
          where: { id: { in: runs.map((run) => run.id) }, status: "running" },
        });
        return rows.length === 2 ? rows : null;
      });
      expect(together.every((row) => row.workerId === runner.workerId && row.leaseExpiresAt !== null)).toBe(
        true,
      );
      for (const run of runs) expect((await finished(run.id)).status).toBe("succeeded");
      const row = await fixture.database.db.worker.findUniqueOrThrow({ where: { id: runner.workerId } });
      expect(row).toMatchObject({ concurrency: 2, runsDone: 3 });
    } finally {
      await runner.stop();
    }
  });

  it("20 submissions at once on two workers: every run completes or is cancelled, none lost or run twice", async () => {
    let running = 0;
    let maxRunningPerWorker = 0;
    const counting = (): RunExecutor => {
      const inner = createSmallLoopExecutor({ delayMs: 5 });
      let mine = 0;
      return {
        device: "cpu",
        async execute(request) {
          running++;
          mine++;
          maxRunningPerWorker = Math.max(maxRunningPerWorker, mine);
          try {
            return await inner.execute(request);
          } finally {
            running--;
            mine--;
          }
        },
      };
    };
    const workers = [worker(counting()), worker(counting())];
    try {
      const workflow = await newWorkflow(4);
      const runs = await Promise.all(Array.from({ length: 20 }, () => submit(workflow)));
      expect(new Set(runs.map((run) => run.id)).size).toBe(20);
      const toCancel = runs.filter((_, index) => index % 4 === 1);
      await Promise.all(
        toCancel.map((run) => cancelRun(fixture.database.ctx, { runId: run.id }).catch(() => null)),
      );
      await waitFor(
        "all 20 runs to finish",
        async () => {
          const open = await fixture.database.db.run.count({
            where: { id: { in: runs.map((run) => run.id) }, status: { in: ["queued", "running"] } },
          });
          return open === 0;
        },
        50_000,
      );
      const done = await Promise.all(runs.map((run) => getRun(fixture.database.ctx, { runId: run.id })));
      for (const run of done) {
        expect(["succeeded", "cancelled"]).toContain(run.status);
        if (run.status === "succeeded") {
          expect(run.steps.map((step) => step.iteration)).toEqual([0, 1, 2, 3]);
          expect(run.log.filter((entry) => entry.message.startsWith("Started on"))).toHaveLength(1);
        }
        if (!toCancel.some((cancelled) => cancelled.id === run.id)) expect(run.status).toBe("succeeded");
      }
      expect(running).toBe(0);
      // One run at a time per worker (its device) by default.
      expect(maxRunningPerWorker).toBe(1);
    } finally {
      await Promise.all(workers.map((instance) => instance.stop()));
    }
  }, 60_000);
});
