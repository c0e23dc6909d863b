/**
 * Delete moves a workflow to the trash and cancels its queued and running runs (the worker really stops);
 * restore brings it back fully usable. Through the tRPC procedures, on real SQLite, with a real worker.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleWorkflows, type GraphDocument } from "@/nodes";
import { createCaller } from "../../api/root";
import { createDatabaseRunQueue } from "../../worker/queue";
import { RunWorker } from "../../worker/run-worker";
import { createSmallLoopExecutor } from "../../worker/testing/small-loop-executor";
import { startRun } from "../runs/start-run";
import { createTestDatabase, type TestDatabase } from "../test-database";
import { createWorkflow } from "./create-workflow";

let database: TestDatabase;
let dataDir: string;
let caller: ReturnType<typeof createCaller>;
const previousDataDir = process.env.DNO_DATA_DIR;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "dno-trash-"));
  process.env.DNO_DATA_DIR = dataDir;
  database = await createTestDatabase();
  caller = createCaller(database.ctx);
});
afterAll(async () => {
  await database.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  if (previousDataDir === undefined) delete process.env.DNO_DATA_DIR;
  else process.env.DNO_DATA_DIR = previousDataDir;
});

function document(iterations: number): GraphDocument {
  const example = exampleWorkflows.find((candidate) => candidate.slug === "brighten-with-a-guard");
  if (!example) throw new Error("the brighten example is missing");
  const copy = structuredClone(example.document);
  for (const node of copy.nodes) {
    if (node.type === "optimizer") node.params = { ...node.params, iterations };
  }
  return copy;
}

async function submit(workflow: { id: string; headVersion: { id: string } }) {
  const { run } = await startRun(database.ctx, {
    workflowId: workflow.id,
    versionId: workflow.headVersion.id,
    checkpointEvery: 1,
  });
  return run;
}

async function waitFor<T>(what: string, probe: () => Promise<T | null | false>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function notFoundMessage(promise: Promise<unknown>): Promise<string> {
  const error = await promise.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(TRPCError);
  expect((error as TRPCError).code).toBe("NOT_FOUND");
  return (error as TRPCError).message;
}

const IN_TRASH = "This workflow is in the trash; restore it to open it.";

describe("trash", () => {
  it("delete → trash → restore: a deleted workflow answers NOT_FOUND with a hint, a restored one is fully usable", async () => {
    const workflow = await createWorkflow(database.ctx, { name: "Trash round trip", document: document(2) });
    const finished = await submit(workflow);
    await database.db.run.update({ where: { id: finished.id }, data: { status: "succeeded" } });

    await expect(caller.workflow.delete({ workflowId: workflow.id })).resolves.toEqual({
      workflowId: workflow.id,
      cancelledRuns: 0,
    });
    expect((await caller.workflow.list()).map((item) => item.id)).not.toContain(workflow.id);
    const trash = await caller.workflow.listDeleted();
    expect(trash.map((item) => [item.id, item.name])).toEqual([[workflow.id, "Trash round trip"]]);
    expect(trash[0]?.deletedAt).toBeInstanceOf(Date);

    expect(await notFoundMessage(caller.workflow.get({ workflowId: workflow.id }))).toBe(IN_TRASH);
    expect(await notFoundMessage(caller.workflow.export({ workflowId: workflow.id }))).toBe(IN_TRASH);
    expect(await notFoundMessage(caller.run.list({ workflowId: workflow.id }))).toBe(IN_TRASH);
    expect(await notFoundMessage(caller.run.get({ runId: finished.id }))).toBe(
      "This run's workflow is in the trash; restore the workflow to open its runs.",
    );
    expect(await notFoundMessage(caller.workflow.delete({ workflowId: workflow.id }))).toBe(IN_TRASH);

    const restored = await caller.workflow.restore({ workflowId: workflow.id });
    expect(restored).toMatchObject({ id: workflow.id, name: "Trash round trip" });
    expect(await caller.workflow.listDeleted()).toEqual([]);
    expect((await caller.workflow.list()).map((item) => item.id)).toContain(workflow.id);
    const opened = await caller.workflow.get({ workflowId: workflow.id });
    expect(opened.document).toEqual(workflow.document);
    expect((await caller.workflow.export({ workflowId: workflow.id })).json).toContain("Trash round trip");
    const copy = await caller.workflow.duplicate({ workflowId: workflow.id });
    expect(copy.name).toMatch(/Trash round trip/);
    expect((await caller.run.list({ workflowId: workflow.id })).map((run) => run.id)).toEqual([finished.id]);
    expect((await caller.run.get({ runId: finished.id })).status).toBe("succeeded");

    expect(await notFoundMessage(caller.workflow.restore({ workflowId: workflow.id }))).toBe(
      `Workflow “${workflow.id}” is not in the trash.`,
    );
  });

  it("deleting during a run cancels it and its queued sibling; nothing is left running on the worker", async () => {
    const worker = new RunWorker({
      ctx: database.ctx,
      queue: createDatabaseRunQueue(database.ctx),
      executor: createSmallLoopExecutor({ delayMs: 40 }),
      pollMs: 20,
    });
    worker.start();
    try {
      const workflow = await createWorkflow(database.ctx, {
        name: "Delete while running",
        document: document(500),
      });
      const running = await submit(workflow);
      const queued = await submit(workflow);
      await waitFor("the first run's second iteration", async () => {
        const row = await database.db.run.findUniqueOrThrow({ where: { id: running.id } });
        return row.status === "running" && row.iterationsDone >= 2;
      });
      await expect(caller.workflow.activeRuns({ workflowId: workflow.id })).resolves.toEqual({
        running: 1,
        queued: 1,
      });
      const deletedAt = Date.now();
      await expect(caller.workflow.delete({ workflowId: workflow.id })).resolves.toEqual({
        workflowId: workflow.id,
        cancelledRuns: 2,
      });
      const ended = await waitFor("the running run to end", async () => {
        const row = await database.db.run.findUniqueOrThrow({ where: { id: running.id } });
        return row.status !== "running" ? row : null;
      });
      expect(ended.status).toBe("cancelled");
      expect(Date.now() - deletedAt).toBeLessThan(2000);
      // The row is final before the worker's bookkeeping (feed line, notification) lets go of the run.
      await waitFor("the worker to let go of the run", async () => worker.activeRunIds.length === 0, 3000);
      const sibling = await database.db.run.findUniqueOrThrow({
        where: { id: queued.id },
        include: { logEntries: true },
      });
      expect(sibling.status).toBe("cancelled");
      expect(sibling.logEntries.map((entry) => entry.message)).toContain(
        "Cancelled: its workflow was moved to the trash.",
      );
      // Nothing of this workflow is queued or running any more, and the worker takes new work.
      expect(
        await database.db.run.count({
          where: { workflowId: workflow.id, status: { in: ["queued", "running"] } },
        }),
      ).toBe(0);
      const other = await createWorkflow(database.ctx, { name: "After delete", document: document(2) });
      const next = await submit(other);
      await waitFor("the next run to succeed", async () => {
        const row = await database.db.run.findUniqueOrThrow({ where: { id: next.id } });
        return row.status === "succeeded";
      });
    } finally {
      await worker.stop();
    }
  });
});
