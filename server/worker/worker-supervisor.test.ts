/**
 * The embedded worker in a supervised child process (real child, real SQLite): a run whose executor blocks
 * the child's JS thread for good (as a synchronous native model load does) still ends `cancelled` within
 * seconds of a cancel, the child is replaced and the next queued run succeeds; the child's progress reaches
 * this process's event bus; a child blocked past the ONNX limits fails its run; a crashed child's run is
 * queued again at once and resumes on the restarted child; stopping hands the child's run back to the queue.
 * As `npm run worker` runs it (one id for every child): the runs a previous process left under that id are
 * queued again first, the Worker row stays fresh while the child is blocked, and a stop with a grace time
 * waits for a long iteration instead of killing the child.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleWorkflows, type GraphDocument } from "@/nodes";
import { cancelRun } from "../services/runs/cancel-run";
import { getRun, type RunDetail } from "../services/runs/get-run";
import { startRun } from "../services/runs/start-run";
import { createTestDatabase, type TestDatabase } from "../services/test-database";
import { createWorkflow } from "../services/workflows/create-workflow";
import { createDatabaseRunQueue } from "./queue";
import { type RunEvent, publishRunEvent, subscribeRunEvents } from "./run-events";
import { RunWorker } from "./run-worker";
import { createSmallLoopExecutor } from "./testing/small-loop-executor";
import { WorkerSupervisor, type WorkerSupervisorOptions } from "./worker-supervisor";

let database: TestDatabase;
let dataDir: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "dno-supervisor-"));
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function supervise(blockedRunIds: string[], options: Partial<WorkerSupervisorOptions> = {}) {
  const supervisor = new WorkerSupervisor({
    ctx: database.ctx,
    killAfterMs: 1500,
    checkEveryMs: 100,
    restartBackoffMs: { initial: 100, max: 1000 },
    env: {
      DATABASE_URL: database.url,
      DNO_DATA_DIR: dataDir,
      DNO_WORKER_CONCURRENCY: "1",
      DNO_WORKER_TEST_EXECUTOR: `block:${blockedRunIds.join(",")}`,
      // As a host running full-size models sets it: the computing child starts with huge pages.
      ORT_HUGE_PAGES: "on",
    },
    ...options,
  });
  supervisor.start();
  return supervisor;
}

async function waitFor<T>(what: string, probe: () => Promise<T | null | false>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
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

function smallDocument(iterations: number): GraphDocument {
  const example = exampleWorkflows.find((candidate) => candidate.slug === "brighten-with-a-guard");
  if (!example) throw new Error("the brighten example is missing");
  const document = structuredClone(example.document);
  for (const node of document.nodes) {
    if (node.type === "optimizer") node.params = { ...node.params, iterations };
  }
  return document;
}

async function submit(iterations: number) {
  const workflow = await createWorkflow(database.ctx, {
    name: "Supervised",
    document: smallDocument(iterations),
  });
  const { run } = await startRun(database.ctx, {
    workflowId: workflow.id,
    versionId: workflow.headVersion.id,
    checkpointEvery: 1,
  });
  return run;
}

describe("the worker in a supervised child process", () => {
  it("a cancel ends a run whose child is blocked in a native call; a fresh child runs the next one and its progress reaches this bus", async () => {
    // A run another worker holds: neither the supervisor nor a fresh child may call it interrupted.
    const elsewhere = await submit(3);
    await database.db.run.update({
      where: { id: elsewhere.id },
      data: {
        status: "running",
        workerId: "worker-elsewhere",
        leaseExpiresAt: new Date(Date.now() + 600_000),
      },
    });
    const stuck = await submit(3);
    const next = await submit(4);
    const events: RunEvent[] = [];
    const unsubscribe = subscribeRunEvents(next.id, (event) => events.push(event));
    const supervisor = supervise([stuck.id]);
    try {
      await waitFor("the stuck run to start", async () => (await status(stuck.id)) === "running");
      const blockedPid = supervisor.childPid;
      // The child that computes asks malloc for huge pages (glibc reads this only at its start; huge-pages.ts).
      if (process.platform === "linux" && blockedPid !== null) {
        const environ = fs.readFileSync(`/proc/${blockedPid}/environ`, "utf8").split("\0");
        expect(environ).toContainEqual(
          expect.stringMatching(/^GLIBC_TUNABLES=(.*:)?glibc\.malloc\.hugetlb=1(:.*)?$/),
        );
      }
      // Give the child time to enter its endless synchronous call.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const cancelledAt = Date.now();
      // What the run router does: mark the row, then tell the worker on the bus.
      await cancelRun(database.ctx, { runId: stuck.id });
      publishRunEvent({ type: "cancel-requested", runId: stuck.id });
      const done = await finished(stuck.id, 10_000);
      expect(done.status).toBe("cancelled");
      expect(Date.now() - cancelledAt).toBeLessThan(10_000);
      expect(done.log.map((entry) => entry.message)).toContainEqual(
        expect.stringMatching(/could not be interrupted, so the worker was restarted/),
      );
      const after = await finished(next.id);
      expect(after.status).toBe("succeeded");
      expect(after.steps).toHaveLength(4);
      expect(supervisor.childPid).not.toBeNull();
      expect(supervisor.childPid).not.toBe(blockedPid);
      expect(await status(elsewhere.id)).toBe("running");
      // Every iteration and the final status came over IPC to this process's bus, in order (the status
      // event follows the row's update, so it may land just after the row says succeeded).
      await waitFor("the succeeded event", async () =>
        events.some((event) => event.type === "status" && event.status === "succeeded"),
      );
      const iterations = events.flatMap((event) =>
        event.type === "iteration" ? [event.step.iteration] : [],
      );
      expect(iterations).toEqual([0, 1, 2, 3]);
    } finally {
      unsubscribe();
      await supervisor.stop();
    }
  }, 90_000);

  it("a child blocked longer than the ONNX limits allow fails its run with a sentence", async () => {
    const stuck = await submit(3);
    const supervisor = supervise([stuck.id], { silentAfterMs: 1500 });
    try {
      // Generous: a loaded machine takes long to start the child (tsx, Prisma).
      const done = await finished(stuck.id, 60_000);
      expect(done.status).toBe("failed");
      expect(done.error).toMatch(
        /^A model call ran for more than 2 s without returning, so the worker was restarted\./,
      );
      expect(done.error).toContain("ORT_RUN_TIMEOUT_MS");
    } finally {
      await supervisor.stop();
    }
  }, 90_000);

  it("while its child is blocked in a native call, the supervisor keeps the child's leases alive: another worker's reaper leaves the run alone", async () => {
    const stuck = await submit(3);
    const supervisor = supervise([stuck.id], {
      silentAfterMs: 60_000,
      leaseMs: 1500,
      heartbeatMs: 300,
      env: {
        DATABASE_URL: database.url,
        DNO_DATA_DIR: dataDir,
        DNO_WORKER_TEST_EXECUTOR: `block:${stuck.id}`,
        DNO_WORKER_LEASE_MS: "1500",
      },
    });
    // Another worker next to it, reaping expired leases every 300 ms.
    const other = new RunWorker({
      ctx: database.ctx,
      queue: createDatabaseRunQueue(database.ctx),
      executor: createSmallLoopExecutor(),
      leaseMs: 1500,
      heartbeatMs: 300,
      pollMs: 100,
    });
    try {
      await waitFor("the stuck run to start", async () => (await status(stuck.id)) === "running");
      const holder = supervisor.workerId;
      other.start();
      // Three leases long, the child's JS thread never runs.
      await new Promise((resolve) => setTimeout(resolve, 4500));
      const row = await database.db.run.findUniqueOrThrow({ where: { id: stuck.id } });
      expect(row).toMatchObject({ status: "running", workerId: holder, attempts: 1 });
      expect(row.leaseExpiresAt?.getTime()).toBeGreaterThan(Date.now());
    } finally {
      await other.stop();
      await cancelRun(database.ctx, { runId: stuck.id });
      publishRunEvent({ type: "cancel-requested", runId: stuck.id });
      await finished(stuck.id, 60_000);
      await supervisor.stop();
    }
  }, 120_000);

  it("a crashed child's run is queued again at once and resumes on the restarted child", async () => {
    const long = await submit(60);
    const supervisor = supervise([]);
    try {
      await waitFor(
        "the run to record an iteration",
        async () => (await getRun(database.ctx, { runId: long.id })).steps.length > 0,
      );
      const crashedPid = supervisor.childPid;
      const crashedWorker = supervisor.workerId;
      if (crashedPid === null) throw new Error("no child");
      process.kill(crashedPid, "SIGKILL");
      const done = await finished(long.id, 60_000);
      expect(done.status).toBe("succeeded");
      expect(done.steps.map((step) => step.iteration)).toEqual(
        Array.from({ length: 60 }, (_, index) => index),
      );
      const messages = done.log.map((entry) => entry.message);
      expect(messages).toContainEqual(
        expect.stringMatching(
          new RegExp(`^Worker ${crashedWorker} exited; queued again to continue after iteration \\d+\\.$`),
        ),
      );
      expect(messages).toContainEqual(expect.stringMatching(/^Resumed on cpu after iteration/));
      expect(messages.some((message) => /interrupted/i.test(message))).toBe(false);
      expect(supervisor.childPid).not.toBe(crashedPid);
    } finally {
      await supervisor.stop();
    }
  }, 90_000);

  it("stopping the server hands the child's run back to the queue (not interrupted) and marks the worker stopped", async () => {
    const long = await submit(400);
    const supervisor = supervise([]);
    const childWorker = await waitFor("a child", async () => supervisor.workerId);
    await waitFor(
      "the run to record an iteration",
      async () => (await getRun(database.ctx, { runId: long.id })).steps.length > 0,
    );
    await supervisor.stop();
    const row = await database.db.run.findUniqueOrThrow({ where: { id: long.id } });
    expect(row).toMatchObject({ status: "queued", workerId: null, leaseExpiresAt: null });
    expect(row.checkpointIteration).toBe(row.iterationsDone - 1);
    const worker = await database.db.worker.findUniqueOrThrow({ where: { id: childWorker } });
    expect(worker.stoppedAt).not.toBeNull();
    // Leave nothing queued for the next test.
    await cancelRun(database.ctx, { runId: long.id });
  }, 60_000);
});

describe("the supervisor of npm run worker", () => {
  it("queues the runs a previous process left under its id, then every child registers under it and the Worker row stays fresh while the child is blocked", async () => {
    const workerId = "worker-fixed-1";
    const left = await submit(3);
    await database.db.run.update({
      where: { id: left.id },
      data: { status: "running", workerId, attempts: 1, leaseExpiresAt: new Date(Date.now() + 600_000) },
    });
    const stuck = await submit(3);
    const supervisor = supervise([stuck.id], {
      workerId,
      silentAfterMs: 60_000,
      leaseMs: 1500,
      heartbeatMs: 300,
      env: {
        DATABASE_URL: database.url,
        DNO_DATA_DIR: dataDir,
        DNO_WORKER_TEST_EXECUTOR: `block:${stuck.id}`,
        DNO_WORKER_LEASE_MS: "1500",
      },
    });
    try {
      expect(await supervisor.whenReady()).toBe(workerId);
      const resumed = await finished(left.id, 60_000);
      expect(resumed.status).toBe("succeeded");
      expect(resumed.log.map((entry) => entry.message)).toContainEqual(
        expect.stringMatching(new RegExp(`^Worker ${workerId} exited; queued again to start over`)),
      );
      await waitFor("the stuck run to start", async () => (await status(stuck.id)) === "running");
      expect(await database.db.run.findUniqueOrThrow({ where: { id: stuck.id } })).toMatchObject({
        workerId,
      });
      // Three leases long, the child's JS thread never runs: its own heartbeat is silent.
      await new Promise((resolve) => setTimeout(resolve, 4500));
      const row = await database.db.worker.findUniqueOrThrow({ where: { id: workerId } });
      expect(row.stoppedAt).toBeNull();
      expect(Date.now() - row.lastHeartbeatAt.getTime()).toBeLessThan(1500);
    } finally {
      await cancelRun(database.ctx, { runId: stuck.id });
      publishRunEvent({ type: "cancel-requested", runId: stuck.id });
      await finished(stuck.id, 60_000);
      await supervisor.stop();
    }
  }, 120_000);

  it("a stop with a grace time waits for a long iteration (past killAfterMs), then the run is handed back", async () => {
    const long = await submit(50);
    const supervisor = supervise([], {
      killAfterMs: 500,
      env: {
        DATABASE_URL: database.url,
        DNO_DATA_DIR: dataDir,
        // Each iteration holds the child's JS thread for 2.5 s, five times the kill delay.
        DNO_WORKER_TEST_EXECUTOR: "busy:2500",
      },
    });
    const workerId = await supervisor.whenReady();
    await waitFor(
      "the run to record an iteration",
      async () => (await getRun(database.ctx, { runId: long.id })).steps.length > 0,
    );
    const stoppedAt = Date.now();
    await supervisor.stop({ graceMs: 60_000 });
    expect(Date.now() - stoppedAt).toBeGreaterThan(500);
    const row = await database.db.run.findUniqueOrThrow({ where: { id: long.id } });
    expect(row).toMatchObject({ status: "queued", workerId: null });
    expect(row.checkpointIteration).toBe(row.iterationsDone - 1);
    const messages = (await getRun(database.ctx, { runId: long.id })).log.map((entry) => entry.message);
    // Handed back by the child itself, not queued again after a kill.
    expect(messages).toContainEqual(
      expect.stringMatching(new RegExp(`^Worker ${workerId} stopped and handed the run back;`)),
    );
    expect(messages.some((message) => /exited; queued again/.test(message))).toBe(false);
    expect(
      (await database.db.worker.findUniqueOrThrow({ where: { id: workerId } })).stoppedAt,
    ).not.toBeNull();
    await cancelRun(database.ctx, { runId: long.id });
  }, 90_000);
});
