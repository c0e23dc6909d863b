/**
 * The lease rules on the Run row (CLUSTER.md), on SQLite and on PostgreSQL (when DNO_TEST_POSTGRES_URL is
 * set): a claim takes the lease, a starting worker's reaper leaves live leases alone, an expired lease is
 * queued again from the checkpoint (or fails after the last attempt), and a stale holder can neither record
 * a step nor finish the run, so no step is ever recorded twice.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createThrowawayPostgres, type ThrowawayPostgres } from "../../db/testing/throwaway-postgres";
import { exampleWorkflows, type GraphDocument } from "@/nodes";
import { AppError } from "../../errors";
import { createTestDatabase, type TestDatabase } from "../test-database";
import { createWorkflow } from "../workflows/create-workflow";
import { claimRun } from "./claim-run";
import { claimNextRun } from "./claim-next-run";
import { finishRun } from "./finish-run";
import { reapExpiredRuns } from "./reap-expired-runs";
import { recordRunStep } from "./record-run-step";
import { releaseRun } from "./release-run";
import { renewRunLeases } from "./renew-run-leases";
import { startRun } from "./start-run";

const serverUrl = process.env.DNO_TEST_POSTGRES_URL;
const LEASE = 60_000;
const REAP = { leaseMs: LEASE, maxAttempts: 3 };

function document(): GraphDocument {
  const example = exampleWorkflows.find((candidate) => candidate.slug === "brighten-with-a-guard");
  if (!example) throw new Error("the brighten example is missing");
  return structuredClone(example.document);
}

const metrics = (iteration: number) => ({
  iteration,
  rewards: { "reward-1": 0.1 * iteration },
  guards: {},
  pr: null,
  objective: 0.1 * iteration,
  gradNorm: 1,
  ms: {},
});

describe.each([
  { name: "SQLite", postgres: false },
  { name: "PostgreSQL", postgres: true },
])("leases on $name", ({ postgres }) => {
  const skip = postgres && !serverUrl;
  let database: TestDatabase;
  let dataDir: string;
  let postgresDatabase: ThrowawayPostgres | null = null;
  const previousDataDir = process.env.DNO_DATA_DIR;

  beforeAll(async () => {
    if (skip) return;
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "dno-leases-"));
    process.env.DNO_DATA_DIR = dataDir;
    let url: string | undefined;
    if (postgres) {
      postgresDatabase = await createThrowawayPostgres(serverUrl ?? "");
      url = postgresDatabase.url;
    }
    database = await createTestDatabase(url ? { url } : {});
  });
  afterAll(async () => {
    if (skip) return;
    await database?.close();
    await postgresDatabase?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (previousDataDir === undefined) delete process.env.DNO_DATA_DIR;
    else process.env.DNO_DATA_DIR = previousDataDir;
  });

  async function queuedRun(): Promise<string> {
    const workflow = await createWorkflow(database.ctx, { name: "Leases", document: document() });
    const { run } = await startRun(database.ctx, {
      workflowId: workflow.id,
      versionId: workflow.headVersion.id,
      checkpointEvery: 1,
    });
    return run.id;
  }

  const step = (runId: string, workerId: string, attempt: number, iteration: number) =>
    recordRunStep(database.ctx, {
      runId,
      workerId,
      attempt,
      metrics: metrics(iteration),
      elapsedMs: iteration,
      image: null,
      checkpoint: new Uint8Array([iteration, 1, 2, 3]),
    });

  const row = (runId: string) => database.db.run.findUniqueOrThrow({ where: { id: runId } });

  it.skipIf(skip)(
    "a claim takes the lease; a starting worker's reaper leaves live leases alone",
    async () => {
      const runId = await queuedRun();
      const claimed = await claimRun(database.ctx, { runId, workerId: "w-a", device: "cpu", leaseMs: LEASE });
      expect(claimed?.attempt).toBe(1);
      const held = await row(runId);
      expect(held).toMatchObject({ status: "running", workerId: "w-a", attempts: 1 });
      expect(held.leaseExpiresAt?.getTime()).toBeGreaterThan(Date.now() + LEASE / 2);
      // Claiming it again fails: it is not queued.
      expect(
        await claimRun(database.ctx, { runId, workerId: "w-b", device: "cpu", leaseMs: LEASE }),
      ).toBeNull();
      // Another worker starts and reaps: nothing changes.
      expect(await reapExpiredRuns(database.ctx, REAP)).toEqual({ requeued: [], failed: [] });
      expect(await row(runId)).toMatchObject({ status: "running", workerId: "w-a", attempts: 1 });
      // The holder renews; the lease moves on.
      expect(
        await renewRunLeases(database.ctx, {
          workerId: "w-a",
          leaseMs: LEASE,
          runs: [{ id: runId, attempt: 1 }],
        }),
      ).toEqual([]);
      await finishRun(database.ctx, { runId, workerId: "w-a", attempt: 1, status: "succeeded" });
    },
  );

  it.skipIf(skip)(
    "an expired lease is queued again from its checkpoint; the stale holder's steps, renewals and finish are refused, no step twice",
    async () => {
      const runId = await queuedRun();
      await claimRun(database.ctx, { runId, workerId: "w-a", device: "cpu", leaseMs: LEASE });
      await step(runId, "w-a", 1, 0);
      await step(runId, "w-a", 1, 1);
      // w-a goes silent: its lease runs out.
      await database.db.run.update({
        where: { id: runId },
        data: { leaseExpiresAt: new Date(Date.now() - 1) },
      });
      const reaped = await reapExpiredRuns(database.ctx, REAP);
      expect(reaped).toEqual({ requeued: [runId], failed: [] });
      expect(await row(runId)).toMatchObject({
        status: "queued",
        workerId: null,
        leaseExpiresAt: null,
        iterationsDone: 2,
        checkpointIteration: 1,
      });
      const again = await claimNextRun(database.ctx, { workerId: "w-b", device: "cpu", leaseMs: LEASE });
      expect(again).toMatchObject({ id: runId, attempt: 2, checkpoint: { iteration: 1 } });

      // w-a wakes up and carries on: every write is refused.
      const refused = step(runId, "w-a", 1, 2);
      await expect(refused).rejects.toBeInstanceOf(AppError);
      await expect(refused).rejects.toMatchObject({ code: "CONFLICT", details: { reason: "lease-lost" } });
      expect(
        await renewRunLeases(database.ctx, {
          workerId: "w-a",
          leaseMs: LEASE,
          runs: [{ id: runId, attempt: 1 }],
        }),
      ).toEqual([runId]);
      expect(
        await finishRun(database.ctx, { runId, workerId: "w-a", attempt: 1, status: "succeeded" }),
      ).toBeNull();
      // Even under the same worker id, an older claim is fenced off by the claim count.
      await expect(step(runId, "w-b", 1, 2)).rejects.toMatchObject({ code: "CONFLICT" });

      await step(runId, "w-b", 2, 2);
      await step(runId, "w-b", 2, 3);
      expect(
        await finishRun(database.ctx, { runId, workerId: "w-b", attempt: 2, status: "succeeded" }),
      ).not.toBeNull();
      const steps = await database.db.runStep.findMany({ where: { runId }, orderBy: { iteration: "asc" } });
      expect(steps.map((entry) => entry.iteration)).toEqual([0, 1, 2, 3]);
      expect(await row(runId)).toMatchObject({ status: "succeeded", iterationsDone: 4, attempts: 2 });
      const log = await database.db.runLogEntry.findMany({ where: { runId }, orderBy: { createdAt: "asc" } });
      expect(log.map((entry) => entry.message)).toContainEqual(
        "Worker w-a stopped renewing its lease; queued again to continue after iteration 1.",
      );
      expect(log.filter((entry) => entry.message.startsWith("Run succeeded"))).toHaveLength(1);
    },
  );

  it.skipIf(skip)("after the last attempt the reaper fails the run with a sentence", async () => {
    const runId = await queuedRun();
    for (let attempt = 1; attempt <= 3; attempt++) {
      const claimed = await claimRun(database.ctx, {
        runId,
        workerId: `w-${attempt}`,
        device: "cpu",
        leaseMs: LEASE,
      });
      expect(claimed?.attempt).toBe(attempt);
      await database.db.run.update({
        where: { id: runId },
        data: { leaseExpiresAt: new Date(Date.now() - 1) },
      });
      const reaped = await reapExpiredRuns(database.ctx, REAP);
      expect(reaped).toEqual(
        attempt < 3 ? { requeued: [runId], failed: [] } : { requeued: [], failed: [runId] },
      );
    }
    const failed = await row(runId);
    expect(failed.status).toBe("failed");
    expect(failed.error).toBe(
      "Its worker stopped responding 3 times while running it (last: worker w-3), so it was not started again. Check the workers' logs (memory, device), then resume the run to try once more.",
    );
  });

  it.skipIf(skip)(
    "runs left running without a lease (before leases) are reaped once their heartbeat is old",
    async () => {
      const runId = await queuedRun();
      await database.db.run.update({
        where: { id: runId },
        data: {
          status: "running",
          workerId: "old-server",
          lastHeartbeatAt: new Date(Date.now() - LEASE / 2),
        },
      });
      expect((await reapExpiredRuns(database.ctx, REAP)).requeued).toEqual([]);
      await database.db.run.update({
        where: { id: runId },
        data: { lastHeartbeatAt: new Date(Date.now() - LEASE - 1000) },
      });
      expect((await reapExpiredRuns(database.ctx, REAP)).requeued).toEqual([runId]);
    },
  );

  it.skipIf(skip)("a stopping worker hands a run back (fenced), without spending an attempt", async () => {
    const runId = await queuedRun();
    await claimRun(database.ctx, { runId, workerId: "w-a", device: "cpu", leaseMs: LEASE });
    await step(runId, "w-a", 1, 0);
    expect(await releaseRun(database.ctx, { runId, workerId: "w-other", attempt: 1 })).toBe(false);
    expect(await releaseRun(database.ctx, { runId, workerId: "w-a", attempt: 1 })).toBe(true);
    expect(await row(runId)).toMatchObject({
      status: "queued",
      workerId: null,
      attempts: 0,
      iterationsDone: 1,
    });
    expect(await releaseRun(database.ctx, { runId, workerId: "w-a", attempt: 1 })).toBe(false);
  });
});
