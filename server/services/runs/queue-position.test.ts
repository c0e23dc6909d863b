/**
 * Scheduling at queue time and the queue position (issue 13) on a real SQLite database: round-robin turns by
 * owner, priority bands and who may ask for high, each owner's runs first come first served, positions that
 * count other people's runs without naming them, and the estimated start from seeded Worker, Run and RunStep
 * rows with known values.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createThrowawayPostgres, type ThrowawayPostgres } from "../../db/testing/throwaway-postgres";
import { exampleWorkflows } from "@/nodes";
import { type ServiceContext, userActor } from "../context";
import { createTestDatabase, createTestUser, type TestDatabase } from "../test-database";
import { createWorkflow } from "../workflows/create-workflow";
import { getQueuePosition } from "./get-queue-position";
import { listQueuePositions } from "./list-queue-positions";
import { estimateQueue, NO_TIMING_REASON, NO_WORKER_REASON } from "./queue-position";
import { resumeRun } from "./resume-run";
import { startRun } from "./start-run";

let database: TestDatabase;
let ana: ServiceContext;
let ben: ServiceContext;
let admin: ServiceContext;
let anaWorkflow: { id: string; versionId: string };
let benWorkflow: { id: string; versionId: string };

async function workflowOf(ctx: ServiceContext, name: string) {
  const example = exampleWorkflows.find((candidate) => candidate.slug === "brighten-with-a-guard");
  if (!example) throw new Error("the brighten example is missing");
  const workflow = await createWorkflow(ctx, { name, document: example.document });
  return { id: workflow.id, versionId: workflow.headVersion.id };
}

async function queue(
  ctx: ServiceContext,
  workflow: { id: string; versionId: string },
  priority?: "low" | "normal" | "high",
): Promise<string> {
  const started = await startRun(ctx, {
    workflowId: workflow.id,
    versionId: workflow.versionId,
    ...(priority ? { priority } : {}),
  });
  return started.run.id;
}

/** Queued run ids in serving order. */
async function servingOrder(): Promise<string[]> {
  const estimate = await estimateQueue(database.db);
  return [...estimate.places.values()].sort((a, b) => a.position - b.position).map((place) => place.runId);
}

/** SQLite always; PostgreSQL (the cluster's database) too when DNO_TEST_POSTGRES_URL names a server. */
const postgresServer = process.env.DNO_TEST_POSTGRES_URL;
interface Target {
  name: string;
  open(): Promise<TestDatabase>;
  drop?(): Promise<void>;
}
const targets: Target[] = [{ name: "SQLite", open: () => createTestDatabase() }];
if (postgresServer) {
  let database: ThrowawayPostgres | null = null;
  targets.push({
    name: "PostgreSQL",
    async open() {
      database = await createThrowawayPostgres(postgresServer);
      return createTestDatabase({ url: database.url });
    },
    async drop() {
      await database?.drop();
    },
  });
}

describe.each(targets)("on $name", (target) => {
  beforeAll(async () => {
    database = await target.open();
    const make = async (name: string, role: "user" | "admin") => {
      const user = await createTestUser(database.db, {
        name,
        email: `${name.toLowerCase()}@example.test`,
        role,
      });
      return { db: database.db, actor: userActor(user.id, role) };
    };
    ana = await make("Ana", "user");
    ben = await make("Ben", "user");
    admin = await make("Ada", "admin");
    anaWorkflow = await workflowOf(ana, "Ana's");
    benWorkflow = await workflowOf(ben, "Ben's");
  });
  afterAll(async () => {
    await database.close();
    await target.drop?.();
  });
  beforeEach(async () => {
    await database.db.run.deleteMany({});
    await database.db.worker.deleteMany({});
  });

  describe("queue order at queue time", () => {
    it("interleaves two owners round-robin however many runs one of them queues first", async () => {
      const a1 = await queue(ana, anaWorkflow);
      const a2 = await queue(ana, anaWorkflow);
      const a3 = await queue(ana, anaWorkflow);
      const b1 = await queue(ben, benWorkflow);
      const b2 = await queue(ben, benWorkflow);
      expect(await servingOrder()).toEqual([a1, b1, a2, b2, a3]);
      const ranks = await database.db.run.findMany({ select: { id: true, fairRank: true } });
      expect(Object.fromEntries(ranks.map((run) => [run.id, run.fairRank]))).toEqual({
        [a1]: 0,
        [a2]: 1,
        [a3]: 2,
        [b1]: 0,
        [b2]: 1,
      });
      // Positions count everyone's runs: Ben's first run is second in line behind Ana's first.
      expect((await getQueuePosition(ben, { runId: b1 })).position).toBe(2);
      expect((await getQueuePosition(ana, { runId: a3 })).position).toBe(5);
    });

    it("keeps an owner's own runs first come, first served after some were served, and lets a newcomer in at the current round", async () => {
      const a1 = await queue(ana, anaWorkflow);
      const a2 = await queue(ana, anaWorkflow);
      const a3 = await queue(ana, anaWorkflow);
      // A worker takes Ana's first run: her waiting runs hold turns 1 and 2.
      await database.db.run.update({ where: { id: a1 }, data: { status: "running" } });
      const a4 = await queue(ana, anaWorkflow);
      const b1 = await queue(ben, benWorkflow);
      expect(await servingOrder()).toEqual([a2, b1, a3, a4]);
      const rank = async (id: string) =>
        (await database.db.run.findUniqueOrThrow({ where: { id } })).fairRank;
      // Ana's new run comes after her older ones (turn 3, not "2 waiting" = 2, which would overtake a3).
      expect(await rank(a4)).toBe(3);
      // Ben joins the round being served (1), not round 0 ahead of everything already under way.
      expect(await rank(b1)).toBe(1);
    });

    it("gives a resumed run its owner's next turn, as a new run", async () => {
      const a1 = await queue(ana, anaWorkflow);
      const a2 = await queue(ana, anaWorkflow);
      const b1 = await queue(ben, benWorkflow);
      const failedA = await queue(ana, anaWorkflow);
      const failedB = await queue(ben, benWorkflow);
      await database.db.run.updateMany({
        where: { id: { in: [failedA, failedB, b1] } },
        data: { status: "failed" },
      });
      await resumeRun(ana, { runId: failedA });
      await resumeRun(ben, { runId: failedB });
      // Ana's resumed run after her two waiting ones; Ben, with nothing waiting, joins the current round (0).
      expect(await servingOrder()).toEqual([a1, failedB, a2, failedA]);
    });

    it("serves bands first: an admin's high run before everyone's normal runs, low runs last", async () => {
      const low = await queue(ana, anaWorkflow, "low");
      const a1 = await queue(ana, anaWorkflow);
      const b1 = await queue(ben, benWorkflow, "normal");
      const high = await queue(admin, anaWorkflow, "high");
      expect(await servingOrder()).toEqual([high, a1, b1, low]);
      const stored = await database.db.run.findMany({ select: { id: true, priority: true } });
      expect(Object.fromEntries(stored.map((run) => [run.id, run.priority]))).toEqual({
        [low]: -1,
        [a1]: 0,
        [b1]: 0,
        [high]: 1,
      });
      // Turns are per band: Ana's first normal run is turn 0 although her low run waits too.
      expect((await database.db.run.findUniqueOrThrow({ where: { id: a1 } })).fairRank).toBe(0);
      expect((await getQueuePosition(ana, { runId: low })).position).toBe(4);
    });

    it("refuses high priority to people who are not admins, with a sentence, and leaves nothing behind", async () => {
      const versionsBefore = await database.db.workflowVersion.count();
      const example = exampleWorkflows.find((candidate) => candidate.slug === "brighten-with-a-guard");
      if (!example) throw new Error("the brighten example is missing");
      // A changed document, which would be saved as a new version if the run were accepted.
      const changed = structuredClone(example.document);
      const optimizer = changed.nodes.find((node) => node.id === "optimizer-1");
      if (!optimizer) throw new Error("the example has no optimizer-1");
      optimizer.params.iterations = 3;
      await expect(
        startRun(ana, {
          workflowId: anaWorkflow.id,
          baseVersionId: anaWorkflow.versionId,
          document: changed,
          priority: "high",
        }),
      ).rejects.toMatchObject({
        code: "FORBIDDEN",
        message:
          "Only the owner or an administrator of this DNO Studio can queue a run with high priority. Queue it with normal or low priority, or ask an administrator to raise it.",
      });
      expect(await database.db.run.count()).toBe(0);
      expect(await database.db.workflowVersion.count()).toBe(versionsBefore);
      // The instance's owner may (database.ctx acts as the owner account).
      const ownerHigh = await queue(database.ctx, anaWorkflow, "high");
      expect((await database.db.run.findUniqueOrThrow({ where: { id: ownerHigh } })).priority).toBe(1);
    });

    it("answers a finished or running run without a position, and strangers as for an unknown run", async () => {
      const a1 = await queue(ana, anaWorkflow);
      await database.db.run.update({ where: { id: a1 }, data: { status: "running" } });
      expect(await getQueuePosition(ana, { runId: a1 })).toMatchObject({
        status: "running",
        position: null,
        estimate: null,
      });
      await expect(getQueuePosition(ben, { runId: a1 })).rejects.toMatchObject({ code: "NOT_FOUND" });
    });
  });

  describe("estimated start", () => {
    const now = new Date("2026-11-30T12:00:00.000Z");
    const ago = (ms: number) => new Date(now.getTime() - ms);

    async function worker(
      id: string,
      fields: { heartbeatAgoMs: number; concurrency?: number; stopped?: true },
    ) {
      await database.db.worker.create({
        data: {
          id,
          host: `host-${id}`,
          pid: 100,
          device: "cpu",
          concurrency: fields.concurrency ?? 1,
          startedAt: ago(3_600_000),
          lastHeartbeatAt: ago(fields.heartbeatAgoMs),
          ...(fields.stopped ? { stoppedAt: ago(fields.heartbeatAgoMs) } : {}),
        },
      });
    }

    /** A run made through the service, then given the state and timing the test needs. */
    async function runWith(
      ctx: ServiceContext,
      workflow: { id: string; versionId: string },
      data: {
        status: string;
        iterationsPlanned: number;
        iterationsDone?: number;
        tookMs?: number;
        stepsElapsedMs?: number[];
      },
    ): Promise<string> {
      const id = await queue(ctx, workflow);
      await database.db.run.update({
        where: { id },
        data: {
          status: data.status,
          iterationsPlanned: data.iterationsPlanned,
          iterationsDone: data.iterationsDone ?? 0,
          ...(data.tookMs !== undefined
            ? { startedAt: ago(data.tookMs + 60_000), finishedAt: ago(60_000) }
            : {}),
        },
      });
      for (const [iteration, elapsedMs] of (data.stepsElapsedMs ?? []).entries()) {
        await database.db.runStep.create({ data: { runId: id, iteration, metrics: "{}", elapsedMs } });
      }
      return id;
    }

    it("fills the live slots in queue order from the running run's own pace and recent runs' median", async () => {
      await worker("live-1", { heartbeatAgoMs: 1000 });
      // Neither counts: a heartbeat older than the lease, and a worker that stopped.
      await worker("dead", { heartbeatAgoMs: 10 * 60_000, concurrency: 4 });
      await worker("stopped", { heartbeatAgoMs: 500, concurrency: 4, stopped: true });
      // Recently finished: 2000, 3000 and 4000 ms per iteration → median 3000.
      await runWith(ana, anaWorkflow, {
        status: "succeeded",
        iterationsPlanned: 10,
        iterationsDone: 10,
        tookMs: 20_000,
      });
      await runWith(ben, benWorkflow, {
        status: "succeeded",
        iterationsPlanned: 5,
        iterationsDone: 5,
        tookMs: 15_000,
      });
      await runWith(ana, anaWorkflow, {
        status: "succeeded",
        iterationsPlanned: 10,
        iterationsDone: 10,
        tookMs: 40_000,
      });
      // A failed run's time says nothing about a full run.
      await runWith(ana, anaWorkflow, {
        status: "failed",
        iterationsPlanned: 10,
        iterationsDone: 1,
        tookMs: 900_000,
      });
      // Running: 4 of 10 done at 1000 ms per iteration (the first, slow iteration is not a span) → frees in 6000.
      await runWith(ben, benWorkflow, {
        status: "running",
        iterationsPlanned: 10,
        iterationsDone: 4,
        stepsElapsedMs: [5000, 6000, 7000, 8000],
      });
      const first = await runWith(ana, anaWorkflow, { status: "queued", iterationsPlanned: 10 });
      const second = await runWith(ben, benWorkflow, { status: "queued", iterationsPlanned: 4 });
      const third = await runWith(ana, anaWorkflow, { status: "queued", iterationsPlanned: 10 });

      const estimate = await estimateQueue(database.db, { now });
      expect({ queued: estimate.queued, liveWorkers: estimate.liveWorkers, slots: estimate.slots }).toEqual({
        queued: 3,
        liveWorkers: 1,
        slots: 1,
      });
      // One slot: 6000, then + 10 × 3000, then + 4 × 3000.
      expect(estimate.places.get(first)?.estimate).toEqual({ kind: "estimate", startsInMs: 6000 });
      expect(estimate.places.get(second)?.estimate).toEqual({ kind: "estimate", startsInMs: 36_000 });
      expect(estimate.places.get(third)?.estimate).toEqual({ kind: "estimate", startsInMs: 48_000 });

      // A second live worker with two slots: the first two start at once, the third when the earliest frees.
      await worker("live-2", { heartbeatAgoMs: 2000, concurrency: 2 });
      const wider = await estimateQueue(database.db, { now });
      expect(wider.slots).toBe(3);
      expect([first, second, third].map((id) => wider.places.get(id)?.estimate)).toEqual([
        { kind: "estimate", startsInMs: 0 },
        { kind: "estimate", startsInMs: 0 },
        { kind: "estimate", startsInMs: 6000 },
      ]);

      // The workflow's list view gives the same places, and names no one else's run.
      const bens = await listQueuePositions(ben, { workflowId: benWorkflow.id, now });
      expect(bens.places).toEqual([
        { runId: second, position: 2, estimate: { kind: "estimate", startsInMs: 0 } },
      ]);
      expect(bens.queued).toBe(3);
      const view = await getQueuePosition(ben, { runId: second, now });
      expect(JSON.stringify(view)).not.toContain(first);
      expect(JSON.stringify(view)).not.toContain(ana.actor.userId ?? "?");
    });

    it("says there is no worker, and says unknown when nothing has been timed yet", async () => {
      const first = await runWith(ana, anaWorkflow, { status: "queued", iterationsPlanned: 10 });
      const second = await runWith(ben, benWorkflow, { status: "queued", iterationsPlanned: 10 });
      await worker("dead", { heartbeatAgoMs: 10 * 60_000 });
      expect((await getQueuePosition(ana, { runId: first, now })).estimate).toEqual({
        kind: "no-worker",
        reason: NO_WORKER_REASON,
      });
      await worker("live", { heartbeatAgoMs: 100 });
      // A free slot and first in line: it starts now. Behind it, no run was ever timed: unknown, not a guess.
      expect((await getQueuePosition(ana, { runId: first, now })).estimate).toEqual({
        kind: "estimate",
        startsInMs: 0,
      });
      expect((await getQueuePosition(ben, { runId: second, now })).estimate).toEqual({
        kind: "unknown",
        reason: NO_TIMING_REASON,
      });
    });
  });
});
