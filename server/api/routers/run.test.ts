/**
 * The run router end to end without HTTP: validation issues per node, start → live progress (catch-up for a
 * late subscriber, then live events through the bus) → finished; cancel; compare; review and re-run.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleWorkflows, type GraphDocument } from "@/nodes";
import { createTestDatabase, type TestDatabase } from "../../services/test-database";
import { createDatabaseRunQueue } from "../../worker/queue";
import { RunWorker } from "../../worker/run-worker";
import { createSmallLoopExecutor } from "../../worker/testing/small-loop-executor";
import type { RunProgressEvent } from "../../worker/watch-run";
import { createCaller } from "../root";

let database: TestDatabase;
let caller: ReturnType<typeof createCaller>;
let worker: RunWorker;
let dataDir: string;
const saved = { data: process.env.DNO_DATA_DIR, embedded: process.env.DNO_EMBEDDED_WORKER };

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "dno-run-router-"));
  process.env.DNO_DATA_DIR = dataDir;
  // The worker below serves the test database; the app's embedded one must stay off.
  process.env.DNO_EMBEDDED_WORKER = "0";
  database = await createTestDatabase();
  caller = createCaller(database.ctx);
  worker = new RunWorker({
    ctx: database.ctx,
    queue: createDatabaseRunQueue(database.ctx),
    executor: createSmallLoopExecutor({ delayMs: 30 }),
    pollMs: 50,
  });
  worker.start();
});
afterAll(async () => {
  await worker.stop();
  await database.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  for (const [key, value] of [
    ["DNO_DATA_DIR", saved.data],
    ["DNO_EMBEDDED_WORKER", saved.embedded],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

function documentWith(iterations: number): GraphDocument {
  const example = exampleWorkflows.find((candidate) => candidate.slug === "brighten-with-a-guard");
  if (!example) throw new Error("no example");
  const document = structuredClone(example.document);
  for (const node of document.nodes) {
    if (node.type === "optimizer") node.params = { ...node.params, iterations, learningRate: 0.05 };
  }
  return document;
}

async function collect(runId: string, lastEventId?: string): Promise<RunProgressEvent[]> {
  const events: RunProgressEvent[] = [];
  const stream = await caller.run.progress({ runId, ...(lastEventId ? { lastEventId } : {}) });
  for await (const envelope of stream) events.push(unwrap(envelope));
  return events;
}

/** Server-side callers get tRPC's tracked envelope, [id, data, marker]. */
function unwrap(envelope: unknown): RunProgressEvent {
  if (!Array.isArray(envelope)) throw new Error("expected a tracked envelope");
  return envelope[1] as RunProgressEvent;
}

describe("run router", () => {
  it("refuses a workflow that cannot run with issues on the nodes, and saves nothing", async () => {
    const workflow = await caller.workflow.create({ name: "Broken", document: documentWith(3) });
    const broken = documentWith(3);
    broken.edges = broken.edges.filter((edge) => edge.targetPort !== "rewards");
    const error = await caller.run
      .start({ workflowId: workflow.id, baseVersionId: workflow.headVersion.id, document: broken })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCError);
    const cause = (error as TRPCError).cause as { code?: string; issues?: { nodeId?: string }[] };
    expect(cause.code).toBe("VALIDATION");
    expect(cause.issues?.some((issue) => issue.nodeId === "optimizer-1")).toBe(true);
    expect(await caller.version.list({ workflowId: workflow.id })).toHaveLength(1);
  });

  it("starts from the editor's document (saved as a version), streams progress live and to late subscribers", async () => {
    const workflow = await caller.workflow.create({ name: "Live", document: documentWith(3) });
    const { run, savedVersionId } = await caller.run.start({
      workflowId: workflow.id,
      baseVersionId: workflow.headVersion.id,
      document: documentWith(5),
      message: "five iterations",
    });
    expect(savedVersionId).not.toBeNull();
    expect(run.versionNumber).toBe(2);
    const live = await collect(run.id);
    const iterations = live.filter((event) => event.type === "iteration");
    expect(iterations.map((event) => event.type === "iteration" && event.step.iteration)).toEqual([
      0, 1, 2, 3, 4,
    ]);
    const first = iterations[0];
    if (first?.type !== "iteration") throw new Error("no iteration");
    expect(first.imageUrl).toMatch(/^\/api\/artifacts\//);
    expect(first.step.metrics.rewards["reward-1"]).toBeGreaterThan(0);
    expect(first.etaMs).not.toBeNull();
    const last = live.at(-1);
    expect(last).toMatchObject({ type: "status", run: { status: "succeeded", iterationsDone: 5 } });

    // A reload after the run: everything from the database; a reconnect after iteration 2: only the rest.
    const late = await collect(run.id);
    expect(late.filter((event) => event.type === "iteration")).toHaveLength(5);
    const resumed = await collect(run.id, "2");
    expect(
      resumed
        .filter((event) => event.type === "iteration")
        .map((event) => event.type === "iteration" && event.step.iteration),
    ).toEqual([3, 4]);

    // Same document again: no new version.
    const again = await caller.run.start({
      workflowId: workflow.id,
      baseVersionId: run.workflowVersionId,
      document: documentWith(5),
    });
    expect(again.savedVersionId).toBeNull();
    await collect(again.run.id);
    // A version stored with its keys in another order (as the example seed writes its fixture files):
    // running the same graph still saves no version.
    const reversedKeys = JSON.stringify(documentWith(5), (_key, value: unknown) =>
      value !== null && typeof value === "object" && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value).reverse())
        : value,
    );
    await database.ctx.db.workflowVersion.update({
      where: { id: run.workflowVersionId },
      data: { document: reversedKeys },
    });
    const third = await caller.run.start({
      workflowId: workflow.id,
      baseVersionId: run.workflowVersionId,
      document: documentWith(5),
    });
    expect(third.savedVersionId).toBeNull();
    await collect(third.run.id);
    const listed = await caller.run.list({ workflowId: workflow.id });
    expect(listed.map((entry) => entry.id)).toEqual([third.run.id, again.run.id, run.id]);
    // Lists show the best score as gained since the start: each run comes with its first objective.
    const firstRun = await caller.run.get({ runId: run.id });
    expect(listed[2]!.startObjective).toBe(firstRun.steps[0]!.metrics.objective);
    expect(typeof listed[2]!.startObjective).toBe("number");
  });

  it("cancels through the bus within one iteration, then compares and re-runs with a tweaked guard", async () => {
    const workflow = await caller.workflow.create({ name: "Cancel", document: documentWith(500) });
    const { run } = await caller.run.start({ workflowId: workflow.id, versionId: workflow.headVersion.id });
    const events: RunProgressEvent[] = [];
    const stream = await caller.run.progress({ runId: run.id });
    let cancelledAt = -1;
    for await (const envelope of stream) {
      const event = unwrap(envelope);
      events.push(event);
      if (event.type === "iteration" && event.step.iteration === 2) {
        cancelledAt = 2;
        await caller.run.cancel({ runId: run.id });
      }
    }
    const detail = await caller.run.get({ runId: run.id });
    expect(detail.status).toBe("cancelled");
    expect(detail.iterationsDone).toBeGreaterThanOrEqual(cancelledAt + 1);
    expect(detail.iterationsDone).toBeLessThanOrEqual(cancelledAt + 2);

    const rerun = await caller.run.rerun({
      runId: run.id,
      changes: [
        { nodeId: "guard-1", param: "gamma", value: 4 },
        { nodeId: "optimizer-1", param: "iterations", value: 3 },
      ],
      message: "Tighter guard",
    });
    expect(rerun.run.revisesRunId).toBe(run.id);
    expect(rerun.run.versionNumber).toBe(2);
    await collect(rerun.run.id);
    const comparison = await caller.run.compare({ runIds: [run.id, rerun.run.id] });
    expect(comparison.runs.map((entry) => entry.status)).toEqual(["cancelled", "succeeded"]);
    expect(comparison.differences).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ nodeId: "guard-1", param: "gamma", values: ["1", "4"] }),
        expect.objectContaining({ nodeId: "optimizer-1", param: "iterations", values: ["500", "3"] }),
      ]),
    );
    expect(comparison.differences).toHaveLength(2);
  });
});
