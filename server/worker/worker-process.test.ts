/**
 * Real worker processes (`node --import tsx server/worker/main.ts`, as `npm run worker`) on one machine and
 * one database, with the small loop executor (DNO_WORKER_TEST_EXECUTOR) so the model is not the point:
 * - two workers run runs side by side and a third starting next to them leaves their runs alone; SIGTERM
 *   makes one finish its iteration, hand its run back and exit 0; every run ends bit-identical to the same
 *   run in one process, each iteration recorded once;
 * - a second SIGTERM exits at once, the run stays with the dead worker until its lease expires, then
 *   another worker resumes it;
 * - a worker whose model calls hold its JS thread longer than the lease keeps its run while another worker
 *   reaps next to it (its supervising process renews the lease: DNO_WORKER_MODE=child, the default); the
 *   same test with DNO_WORKER_MODE=inprocess fails (checked by hand: the run is re-queued at every
 *   iteration and fails after DNO_WORKER_MAX_ATTEMPTS claims);
 * - on PostgreSQL (DNO_TEST_POSTGRES_URL) with the pg-boss queue: a worker killed mid-run has its run
 *   resumed by the other once the lease expires, every run identical.
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createThrowawayPostgres, type ThrowawayPostgres } from "../db/testing/throwaway-postgres";
import { exampleWorkflows, type GraphDocument } from "@/nodes";
import { cancelRun } from "../services/runs/cancel-run";
import { getRun, type RunDetail } from "../services/runs/get-run";
import { startRun } from "../services/runs/start-run";
import { createTestDatabase, type TestDatabase } from "../services/test-database";
import { createWorkflow } from "../services/workflows/create-workflow";
import { createDatabaseRunQueue } from "./queue";
import { closeSharedBosses, sendRunJobs } from "./queue/pg-boss-queue";
import { RunWorker } from "./run-worker";
import { createSmallLoopExecutor } from "./testing/small-loop-executor";

const repoRoot = path.resolve(import.meta.dirname, "..", "..");
let database: TestDatabase;
let dataDir: string;
const previousDataDir = process.env.DNO_DATA_DIR;
const processes: ChildProcess[] = [];

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "dno-worker-processes-"));
  process.env.DNO_DATA_DIR = dataDir;
  database = await createTestDatabase();
});
afterAll(async () => {
  // Each worker is its own process group (its supervised child with it).
  for (const child of processes) signalGroup(child, "SIGKILL");
  await database.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  if (previousDataDir === undefined) delete process.env.DNO_DATA_DIR;
  else process.env.DNO_DATA_DIR = previousDataDir;
});

// A test that failed must not leave its workers taking the next test's runs, nor its runs queued for the next
// test's workers (one failure would fail every test after it, and its own retry).
afterEach(async () => {
  const left = processes.splice(0);
  for (const child of left) signalGroup(child, "SIGKILL");
  await Promise.all(
    left.map((child) =>
      child.exitCode !== null || child.signalCode !== null
        ? undefined
        : new Promise((resolve) => child.once("exit", resolve)),
    ),
  );
  await database.db.run.updateMany({
    where: { status: { in: ["queued", "running"] } },
    data: { status: "cancelled", workerId: null },
  });
});

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface WorkerProcess {
  child: ChildProcess;
  workerId: Promise<string>;
  /** The process that computes: the supervised child (DNO_WORKER_MODE=child), else the worker itself. */
  computePid: Promise<number>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

function startWorkerProcess(env: Record<string, string>, databaseUrl?: string): WorkerProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "server/worker/main.ts"], {
    cwd: repoRoot,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl ?? database.url,
      DNO_DATA_DIR: dataDir,
      DNO_QUEUE: databaseUrl ? "pg-boss" : "embedded",
      DNO_WORKER_LEASE_MS: "3000",
      DNO_WORKER_CONCURRENCY: "1",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, as under systemd or compose: "killed" below means the whole group.
    detached: true,
  });
  processes.push(child);
  let output = "";
  let announce: (id: string) => void = () => undefined;
  let announcePid: (pid: number) => void = () => undefined;
  const workerId = new Promise<string>((resolve) => {
    announce = resolve;
  });
  const computePid = new Promise<number>((resolve) => {
    announcePid = resolve;
  });
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    const started = /Run worker (\S+) started .*\)\.$/m.exec(output);
    if (started?.[1]) {
      announce(started[1]);
      announcePid(Number(/child process (\d+)/.exec(started[0])?.[1] ?? child.pid));
    }
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, workerId, computePid, exited, output: () => output };
}

async function waitFor<T>(what: string, probe: () => Promise<T | null | false>, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms)),
  ]);
}

function smallDocument(iterations: number, seed: number): GraphDocument {
  const example = exampleWorkflows.find((candidate) => candidate.slug === "brighten-with-a-guard");
  if (!example) throw new Error("the brighten example is missing");
  const document = structuredClone(example.document);
  for (const node of document.nodes) {
    if (node.type === "optimizer") node.params = { ...node.params, iterations, learningRate: 0.05 };
    if (node.type === "noise") node.params = { ...node.params, seed };
  }
  return document;
}

async function submitMany(iterations: number, seed: number, count: number, on: TestDatabase = database) {
  const workflow = await createWorkflow(on.ctx, {
    name: `Processes ${seed}`,
    document: smallDocument(iterations, seed),
  });
  const runs: string[] = [];
  for (let index = 0; index < count; index++) {
    const { run } = await startRun(on.ctx, {
      workflowId: workflow.id,
      versionId: workflow.headVersion.id,
      checkpointEvery: 1,
    });
    runs.push(run.id);
  }
  return runs;
}

/** The same run in this process, uninterrupted: what every run must equal. */
async function reference(iterations: number, seed: number, on: TestDatabase = database): Promise<RunDetail> {
  const [runId] = await submitMany(iterations, seed, 1, on);
  const worker = new RunWorker({
    ctx: on.ctx,
    queue: createDatabaseRunQueue(on.ctx),
    executor: createSmallLoopExecutor(),
    pollMs: 20,
  });
  worker.start();
  try {
    return await waitFor("the reference run", async () => {
      const run = await getRun(on.ctx, { runId: runId ?? "" });
      return run.status === "succeeded" ? run : null;
    });
  } finally {
    await worker.stop();
  }
}

const numbers = (run: RunDetail) =>
  run.steps.map((step) => [
    step.iteration,
    step.metrics.objective,
    step.metrics.gradNorm,
    step.metrics.rewards,
  ]);

describe("worker processes on one machine", () => {
  it("two workers never disturb each other's runs, a third starting leaves them alone, SIGTERM hands a run back and exits 0", async () => {
    const iterations = 100;
    const expected = numbers(await reference(iterations, 3));
    const a = startWorkerProcess({ DNO_WORKER_TEST_EXECUTOR: "loop:60" });
    const b = startWorkerProcess({ DNO_WORKER_TEST_EXECUTOR: "loop:60" });
    const [idA, idB] = await Promise.all([a.workerId, b.workerId]);
    const runs = await submitMany(iterations, 3, 4);
    const heldBy = async () => {
      const rows = await database.db.run.findMany({ where: { id: { in: runs }, status: "running" } });
      return new Map(rows.map((row) => [row.id, row.workerId]));
    };
    const both = await waitFor("each worker to hold a run", async () => {
      const held = await heldBy();
      const holders = new Set(held.values());
      return holders.has(idA) && holders.has(idB) ? held : null;
    });
    const runOfA = [...both.entries()].find(([, holder]) => holder === idA)?.[0] ?? "";

    // A third worker starts next to them: it must not touch their runs.
    const c = startWorkerProcess({ DNO_WORKER_TEST_EXECUTOR: "loop:60" });
    const idC = await c.workerId;
    await new Promise((resolve) => setTimeout(resolve, 500));
    const rowOfA = await database.db.run.findUniqueOrThrow({ where: { id: runOfA } });
    expect(rowOfA.status === "succeeded" || rowOfA.workerId === idA).toBe(true);

    // More work once C is up, so that some worker is surely mid-run when one is stopped: on a loaded machine
    // C's start can take longer than the first four runs.
    const more = await submitMany(iterations, 3, 3);
    const byId = new Map([
      [idA, a],
      [idB, b],
      [idC, c],
    ]);
    const [handedBack, stoppedId] = await waitFor("a worker to be mid-run", async () => {
      const row = await database.db.run.findFirst({
        where: { id: { in: more }, status: "running", iterationsDone: { gt: 0 } },
      });
      return row?.workerId ? ([row.id, row.workerId] as const) : null;
    });
    const stopped = byId.get(stoppedId);
    if (!stopped) throw new Error(`run ${handedBack} is held by ${stoppedId}, none of this test's workers`);

    // SIGTERM: it finishes its iteration, hands its run back, marks itself stopped and exits 0.
    stopped.child.kill("SIGTERM");
    expect(await within(stopped.exited, 30_000, "the stopped worker stopping")).toEqual({
      code: 0,
      signal: null,
    });
    expect(stopped.output()).toContain(`Run worker ${stoppedId} stopped.`);
    const stoppedRow = await database.db.worker.findUniqueOrThrow({ where: { id: stoppedId } });
    expect(stoppedRow.stoppedAt).not.toBeNull();

    const all = [...runs, ...more];
    await waitFor("all seven runs to succeed", async () => {
      const open = await database.db.run.count({ where: { id: { in: all }, status: { not: "succeeded" } } });
      return open === 0;
    });
    for (const runId of all) {
      const run = await getRun(database.ctx, { runId });
      // Identical to the uninterrupted run, every iteration recorded once.
      expect(numbers(run)).toEqual(expected);
      const messages = run.log.map((entry) => entry.message);
      // Nobody took a live run from anyone.
      expect(
        messages.some((message) => /stopped renewing its lease|exited; queued again/.test(message)),
      ).toBe(false);
      expect(messages.some((message) => /interrupted/i.test(message))).toBe(false);
    }
    const handedBackLog = (await getRun(database.ctx, { runId: handedBack })).log.map(
      (entry) => entry.message,
    );
    expect(handedBackLog).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^Worker ${stoppedId} stopped and handed the run back; queued again to continue after iteration \\d+\\.$`,
        ),
      ),
    );
    const workers = await database.db.worker.findMany({ where: { id: { in: [idA, idB, idC] } } });
    expect(workers.reduce((sum, worker) => sum + worker.runsDone, 0)).toBe(7);
    expect(workers.map((worker) => worker.concurrency)).toEqual([1, 1, 1]);

    for (const [id, running] of byId) {
      if (id === stoppedId) continue;
      running.child.kill("SIGTERM");
      expect(await within(running.exited, 30_000, `worker ${id} stopping`)).toEqual({
        code: 0,
        signal: null,
      });
    }
  }, 300_000);

  it("a second SIGTERM exits at once; the run waits for its lease to expire, then resumes on another worker", async () => {
    const iterations = 8;
    const expected = numbers(await reference(iterations, 9));
    // Slow iterations: the first SIGTERM would wait for the current one to finish.
    const slow = startWorkerProcess({ DNO_WORKER_TEST_EXECUTOR: "loop:2000" });
    const idSlow = await slow.workerId;
    const [runId] = await submitMany(iterations, 9, 1);
    await waitFor("the slow worker to record an iteration", async () => {
      const row = await database.db.run.findUniqueOrThrow({ where: { id: runId ?? "" } });
      return row.workerId === idSlow && row.iterationsDone >= 1;
    });
    slow.child.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 200));
    const secondAt = Date.now();
    slow.child.kill("SIGTERM");
    const exit = await within(slow.exited, 10_000, "the second SIGTERM");
    expect(Date.now() - secondAt).toBeLessThan(3000);
    expect(exit.code).toBe(1);
    expect(slow.output()).toContain("second SIGTERM, exiting now");
    // Nothing was handed back: the run is still the dead worker's, with a live lease.
    const held = await database.db.run.findUniqueOrThrow({ where: { id: runId ?? "" } });
    expect(held).toMatchObject({ status: "running", workerId: idSlow, attempts: 1 });

    const fresh = startWorkerProcess({ DNO_WORKER_TEST_EXECUTOR: "loop:20" });
    const idFresh = await fresh.workerId;
    const done = await waitFor("the run to resume and succeed", async () => {
      const run = await getRun(database.ctx, { runId: runId ?? "" });
      return run.status === "succeeded" ? run : null;
    });
    expect(numbers(done)).toEqual(expected);
    expect(done.log.map((entry) => entry.message)).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^Worker ${idSlow} stopped renewing its lease; queued again to continue after iteration \\d+\\.$`,
        ),
      ),
    );
    expect(await database.db.run.findUniqueOrThrow({ where: { id: runId ?? "" } })).toMatchObject({
      workerId: idFresh,
      attempts: 2,
    });
    fresh.child.kill("SIGTERM");
    expect(await within(fresh.exited, 30_000, "the fresh worker stopping")).toEqual({
      code: 0,
      signal: null,
    });
  }, 300_000);
});

describe("a worker whose supervising process dies alone", () => {
  it("its child finishes the iteration, hands the run back, marks the worker stopped and exits", async () => {
    const worker = startWorkerProcess({ DNO_WORKER_TEST_EXECUTOR: "loop:300" });
    const workerId = await worker.workerId;
    const childPid = await worker.computePid;
    expect(childPid).not.toBe(worker.child.pid);
    const [runId] = await submitMany(40, 17, 1);
    await waitFor("the worker to record an iteration", async () => {
      const row = await database.db.run.findUniqueOrThrow({ where: { id: runId ?? "" } });
      return row.workerId === workerId && row.iterationsDone >= 1;
    });
    // Only the supervising process: its child is left without anyone renewing its leases for it.
    worker.child.kill("SIGKILL");
    await within(worker.exited, 10_000, "the supervising process dying");
    await waitFor("the child to exit", async () => !alive(childPid), 30_000);
    const row = await database.db.run.findUniqueOrThrow({ where: { id: runId ?? "" } });
    expect(row).toMatchObject({ status: "queued", workerId: null });
    expect(row.checkpointIteration).toBe(row.iterationsDone - 1);
    const log = (await getRun(database.ctx, { runId: runId ?? "" })).log.map((entry) => entry.message);
    expect(log).toContainEqual(
      expect.stringMatching(new RegExp(`^Worker ${workerId} stopped and handed the run back;`)),
    );
    expect(worker.output()).toContain("its supervising process is gone");
    const stopped = await database.db.worker.findUniqueOrThrow({ where: { id: workerId } });
    expect(stopped.stoppedAt).not.toBeNull();
    expect(stopped.pid).toBe(childPid);
    // Leave nothing queued for the next test.
    await cancelRun(database.ctx, { runId: runId ?? "" });
  }, 120_000);
});

describe("a worker in a long native call", () => {
  it("keeps its run while its JS thread is held longer than the lease and another worker reaps next to it", async () => {
    const iterations = 3;
    const expected = numbers(await reference(iterations, 13));
    // The other worker, busy with a long run of its own (it takes one at a time), reaps every heartbeat.
    const other = startWorkerProcess({ DNO_WORKER_TEST_EXECUTOR: "loop:100" });
    const idOther = await other.workerId;
    const [hog] = await submitMany(1000, 14, 1);
    await waitFor("the other worker to hold its run", async () => {
      const row = await database.db.run.findUniqueOrThrow({ where: { id: hog ?? "" } });
      return row.workerId === idOther;
    });
    // Every iteration holds the worker's JS thread for 5 s, the lease is 3 s.
    const busy = startWorkerProcess({ DNO_WORKER_TEST_EXECUTOR: "busy:5000" });
    const idBusy = await busy.workerId;
    const [runId] = await submitMany(iterations, 13, 1);
    const done = await waitFor("the busy worker's run to finish", async () => {
      const run = await getRun(database.ctx, { runId: runId ?? "" });
      return ["succeeded", "failed", "cancelled"].includes(run.status) ? run : null;
    });
    expect(done.status).toBe("succeeded");
    expect(numbers(done)).toEqual(expected);
    // Never re-queued: one claim, by the busy worker, and nobody logged a lost lease.
    expect(await database.db.run.findUniqueOrThrow({ where: { id: runId ?? "" } })).toMatchObject({
      workerId: idBusy,
      attempts: 1,
    });
    expect(
      done.log.some((entry) => /stopped renewing its lease|queued again|Resumed/.test(entry.message)),
    ).toBe(false);
    // The other worker was running all along.
    expect(await database.db.run.findUniqueOrThrow({ where: { id: hog ?? "" } })).toMatchObject({
      status: "running",
      workerId: idOther,
    });
    await cancelRun(database.ctx, { runId: hog ?? "" });
    await waitFor("the other worker's run to end", async () => {
      const row = await database.db.run.findUniqueOrThrow({ where: { id: hog ?? "" } });
      return row.status === "cancelled";
    });
    busy.child.kill("SIGTERM");
    other.child.kill("SIGTERM");
    expect(await within(busy.exited, 30_000, "the busy worker stopping")).toEqual({ code: 0, signal: null });
    expect(await within(other.exited, 30_000, "the other worker stopping")).toEqual({
      code: 0,
      signal: null,
    });
  }, 300_000);
});

const postgresServer = process.env.DNO_TEST_POSTGRES_URL;

describe.skipIf(!postgresServer)("worker processes on PostgreSQL with the pg-boss queue", () => {
  let database: ThrowawayPostgres;
  let url: string;
  let onPostgres: TestDatabase;

  beforeAll(async () => {
    database = await createThrowawayPostgres(postgresServer ?? "");
    url = database.url;
    onPostgres = await createTestDatabase({ url });
  });
  afterAll(async () => {
    await closeSharedBosses();
    await onPostgres?.close();
    await database?.drop();
  });

  it("two workers share the queue; one is killed mid-run and the other resumes its run after the lease; all identical", async () => {
    const iterations = 60;
    const expected = numbers(await reference(iterations, 21, onPostgres));
    const a = startWorkerProcess({ DNO_WORKER_TEST_EXECUTOR: "loop:50" }, url);
    const b = startWorkerProcess({ DNO_WORKER_TEST_EXECUTOR: "loop:50" }, url);
    const [idA, idB] = await Promise.all([a.workerId, b.workerId]);
    const runs = await submitMany(iterations, 21, 4, onPostgres);
    // What the web server does after queueing: one pg-boss job per run.
    await sendRunJobs(onPostgres.ctx, url, runs);
    const killed = await waitFor("worker A to be well into a run", async () => {
      const row = await onPostgres.db.run.findFirst({ where: { workerId: idA, status: "running" } });
      return row && row.iterationsDone >= 3 ? row.id : null;
    });
    signalGroup(a.child, "SIGKILL");
    await within(a.exited, 10_000, "worker A dying");
    await waitFor("all four runs to succeed", async () => {
      const open = await onPostgres.db.run.count({
        where: { id: { in: runs }, status: { not: "succeeded" } },
      });
      return open === 0;
    });
    for (const runId of runs) {
      const run = await getRun(onPostgres.ctx, { runId });
      expect(numbers(run)).toEqual(expected);
    }
    const killedLog = (await getRun(onPostgres.ctx, { runId: killed })).log.map((entry) => entry.message);
    expect(killedLog).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^Worker ${idA} stopped renewing its lease; queued again to continue after iteration \\d+\\.$`,
        ),
      ),
    );
    expect(await onPostgres.db.run.findUniqueOrThrow({ where: { id: killed } })).toMatchObject({
      workerId: idB,
    });
    b.child.kill("SIGTERM");
    expect(await within(b.exited, 30_000, "worker B stopping")).toEqual({ code: 0, signal: null });
  }, 300_000);
});
