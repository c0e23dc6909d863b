/**
 * The pg-boss run queue on a throwaway PostgreSQL database (DNO_TEST_POSTGRES_URL; skipped without it):
 * jobs carry only the run id and come out in the shared queue order (priority band, then round-robin rank),
 * a job whose run is no longer claimable is completed and skipped, a run announced many times has one
 * waiting job, the sweep re-sends a job for a queued run that lost its own, and a worker on this queue runs
 * a run to the end.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createThrowawayPostgres, type ThrowawayPostgres } from "../../db/testing/throwaway-postgres";
import { exampleWorkflows, type GraphDocument } from "@/nodes";
import { cancelRun } from "../../services/runs/cancel-run";
import { getRun } from "../../services/runs/get-run";
import { startRun } from "../../services/runs/start-run";
import { createTestDatabase, type TestDatabase } from "../../services/test-database";
import { createWorkflow } from "../../services/workflows/create-workflow";
import type { RunQueue } from "../queue";
import { RunWorker } from "../run-worker";
import { createSmallLoopExecutor } from "../testing/small-loop-executor";
import { closeSharedBosses, createPgBossRunQueue, RUN_QUEUE_NAME, sharedBoss } from "./pg-boss-queue";

const serverUrl = process.env.DNO_TEST_POSTGRES_URL;

function smallDocument(iterations: number): GraphDocument {
  const example = exampleWorkflows.find((candidate) => candidate.slug === "brighten-with-a-guard");
  if (!example) throw new Error("the brighten example is missing");
  const document = structuredClone(example.document);
  for (const node of document.nodes) {
    if (node.type === "optimizer") node.params = { ...node.params, iterations };
  }
  return document;
}

describe.skipIf(!serverUrl)("the pg-boss run queue", () => {
  let postgresDatabase: ThrowawayPostgres;
  const previousDataDir = process.env.DNO_DATA_DIR;
  let url: string;
  let database: TestDatabase;
  let dataDir: string;
  let queue: RunQueue;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "dno-pgboss-"));
    process.env.DNO_DATA_DIR = dataDir;
    postgresDatabase = await createThrowawayPostgres(serverUrl ?? "");
    url = postgresDatabase.url;
    database = await createTestDatabase({ url });
    queue = createPgBossRunQueue(database.ctx, url);
  });

  afterAll(async () => {
    await closeSharedBosses();
    await database?.close();
    await postgresDatabase?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (previousDataDir === undefined) delete process.env.DNO_DATA_DIR;
    else process.env.DNO_DATA_DIR = previousDataDir;
  });

  async function queuedRun(iterations = 3): Promise<string> {
    const workflow = await createWorkflow(database.ctx, {
      name: "pg-boss",
      document: smallDocument(iterations),
    });
    const { run } = await startRun(database.ctx, {
      workflowId: workflow.id,
      versionId: workflow.headVersion.id,
      checkpointEvery: 1,
    });
    return run.id;
  }

  const claim = (workerId = "w-test") => queue.claim({ workerId, device: "cpu", leaseMs: 60_000 });

  it("claims in priority order (band, then round-robin rank, then first come) and carries only the run id", async () => {
    const ids: Record<string, string> = {};
    const places = {
      lowFirst: { priority: -1, fairRank: 0 },
      normalRank1: { priority: 0, fairRank: 1 },
      normalRank0a: { priority: 0, fairRank: 0 },
      high: { priority: 1, fairRank: 3 },
      normalRank0b: { priority: 0, fairRank: 0 },
    };
    for (const [name, place] of Object.entries(places)) {
      ids[name] = await queuedRun();
      await database.db.run.update({ where: { id: ids[name] }, data: place });
      await queue.enqueue([ids[name] ?? ""]);
    }
    const boss = await sharedBoss(url);
    const [job] = await boss.fetch<unknown>(RUN_QUEUE_NAME, { batchSize: 1 });
    expect(job?.data).toEqual({ runId: ids.high });
    // Put it back the way it was: the run is still queued, the sweep re-sends its job.
    await boss.complete(RUN_QUEUE_NAME, job?.id ?? "");
    await queue.sweep();
    const order: string[] = [];
    for (;;) {
      const claimed = await claim();
      if (!claimed) break;
      order.push(claimed.id);
    }
    expect(order).toEqual([ids.high, ids.normalRank0a, ids.normalRank0b, ids.normalRank1, ids.lowFirst]);
    const rows = await database.db.run.findMany({ where: { id: { in: order } } });
    expect(
      rows.every((row) => row.status === "running" && row.workerId === "w-test" && row.attempts === 1),
    ).toBe(true);
    await database.db.run.updateMany({ where: { id: { in: order } }, data: { status: "cancelled" } });
  });

  it("completes and skips a job whose run is no longer claimable, and dedupes announcements", async () => {
    const cancelled = await queuedRun();
    const next = await queuedRun();
    await queue.enqueue([cancelled]);
    await queue.enqueue([cancelled]);
    await queue.enqueue([next, cancelled]);
    const boss = await sharedBoss(url);
    expect(await boss.getQueueSize(RUN_QUEUE_NAME)).toBe(2);
    await cancelRun(database.ctx, { runId: cancelled });
    const claimed = await claim();
    expect(claimed?.id).toBe(next);
    expect(await boss.getQueueSize(RUN_QUEUE_NAME)).toBe(0);
    expect(await claim()).toBeNull();
    expect((await getRun(database.ctx, { runId: cancelled })).status).toBe("cancelled");
    await database.db.run.update({ where: { id: next }, data: { status: "cancelled" } });
  });

  it("a queued run whose job was lost (crash between row and send) is found by the sweep", async () => {
    const lost = await queuedRun();
    expect(await claim()).toBeNull();
    await queue.sweep();
    expect((await claim())?.id).toBe(lost);
    await database.db.run.update({ where: { id: lost }, data: { status: "cancelled" } });
  });

  it("a job fetched by a worker that died before completing it is re-sent by the sweep", async () => {
    const runId = await queuedRun();
    await queue.enqueue([runId]);
    const boss = await sharedBoss(url);
    const [job] = await boss.fetch<unknown>(RUN_QUEUE_NAME, { batchSize: 1 });
    expect(job?.data).toEqual({ runId });
    // Fetched moments ago: the sweep leaves it to its worker.
    await queue.sweep();
    expect(await claim()).toBeNull();
    // That worker died half a minute ago without completing it.
    await boss
      .getDb()
      .executeSql("UPDATE pgboss.job SET started_on = now() - interval '60 seconds' WHERE id = $1", [
        job?.id,
      ]);
    await queue.sweep();
    expect((await claim())?.id).toBe(runId);
    await database.db.run.update({ where: { id: runId }, data: { status: "cancelled" } });
  });

  it("a worker on the pg-boss queue runs an announced run to the end", async () => {
    const worker = new RunWorker({
      ctx: database.ctx,
      queue,
      executor: createSmallLoopExecutor(),
      pollMs: 50,
      leaseMs: 5000,
    });
    worker.start();
    try {
      const runId = await queuedRun(4);
      await queue.enqueue([runId]);
      const deadline = Date.now() + 30_000;
      let status = "queued";
      while (Date.now() < deadline) {
        status = (await getRun(database.ctx, { runId })).status;
        if (status === "succeeded" || status === "failed") break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(status).toBe("succeeded");
      const done = await getRun(database.ctx, { runId });
      expect(done.steps.map((step) => step.iteration)).toEqual([0, 1, 2, 3]);
    } finally {
      await worker.stop();
    }
  });
});
