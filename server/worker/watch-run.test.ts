/**
 * The progress stream when the worker runs in ANOTHER process: no bus events reach this one, so the stream
 * must find new iterations and the final status by polling the database. The "remote worker" here writes
 * through the same services a worker process uses, and publishes nothing.
 */
import { describe, expect, it } from "vitest";
import { exampleWorkflows } from "@/nodes";
import { claimNextRun } from "../services/runs/claim-next-run";
import { finishRun } from "../services/runs/finish-run";
import { recordRunStep } from "../services/runs/record-run-step";
import { startRun } from "../services/runs/start-run";
import { testDatabaseWithDataDir } from "../services/test-database-with-data-dir";
import { createWorkflow } from "../services/workflows/create-workflow";
import { encodePng } from "@/server/models/image";
import { AppError } from "../errors";
import { userActor } from "../services/context";
import { createTestUser } from "../services/test-database";
import { publishRunEvent } from "./run-events";
import { type RunProgressEvent, watchRun } from "./watch-run";

const fixture = testDatabaseWithDataDir("dno-watch-");

describe("watchRun without bus events (worker in another process)", () => {
  it("polls the database: every iteration once, in order, then the final status", async () => {
    const example = exampleWorkflows[0];
    if (!example) throw new Error("no example");
    const workflow = await createWorkflow(fixture.database.ctx, {
      name: "Remote",
      document: example.document,
    });
    const { run } = await startRun(fixture.database.ctx, {
      workflowId: workflow.id,
      versionId: workflow.headVersion.id,
    });
    const claimed = await claimNextRun(fixture.database.ctx, { workerId: "remote-1", device: "cpu" });
    expect(claimed?.id).toBe(run.id);

    const events: RunProgressEvent[] = [];
    const watching = (async () => {
      for await (const { event } of watchRun(fixture.database.ctx, { runId: run.id, pollMs: 30 }))
        events.push(event);
    })();
    const png = new Uint8Array(encodePng({ width: 1, height: 1, data: new Uint8Array([1, 2, 3]) }));
    for (let iteration = 0; iteration < 3; iteration++) {
      await new Promise((resolve) => setTimeout(resolve, 60));
      await recordRunStep(fixture.database.ctx, {
        runId: run.id,
        workerId: "remote-1",
        metrics: {
          iteration,
          rewards: { "reward-1": iteration / 10 },
          guards: {},
          pr: null,
          objective: iteration,
          gradNorm: 1,
          ms: {},
        },
        elapsedMs: (iteration + 1) * 60,
        image: { png, width: 1, height: 1 },
        checkpoint: null,
      });
    }
    await finishRun(fixture.database.ctx, { runId: run.id, workerId: "remote-1", status: "succeeded" });
    await watching;

    const iterations = events.flatMap((event) => (event.type === "iteration" ? [event.step.iteration] : []));
    expect(iterations).toEqual([0, 1, 2]);
    const statuses = events.flatMap((event) => (event.type === "status" ? [event.run.status] : []));
    expect(statuses[0]).toBe("running");
    expect(statuses.at(-1)).toBe("succeeded");
    const last = events.findLast((event) => event.type === "iteration");
    expect(last?.type === "iteration" && last.imageUrl).toMatch(/^\/api\/artifacts\//);
  });
});

describe("watchRun checks access while it streams", () => {
  it("a viewer removed while watching is cut off at the next check, even while events keep coming", async () => {
    const example = exampleWorkflows[0];
    if (!example) throw new Error("no example");
    const { ctx, db } = fixture.database;
    const workflow = await createWorkflow(ctx, { name: "Watched", document: example.document });
    const { run } = await startRun(ctx, { workflowId: workflow.id, versionId: workflow.headVersion.id });
    const viewerUser = await createTestUser(db, { name: "Viewer", email: "viewer@watch.test" });
    await db.workflowShare.create({
      data: { workflowId: workflow.id, userId: viewerUser.id, role: "viewer" },
    });
    const viewer = { db, actor: userActor(viewerUser.id, "user") };

    // Log lines keep arriving on the bus, so the stream never falls back to polling by itself.
    const chatter = setInterval(
      () => publishRunEvent({ type: "log", runId: run.id, level: "info", message: "tick", nodeId: null }),
      10,
    );
    let received = 0;
    let failure: unknown = null;
    try {
      const watching = (async () => {
        for await (const _ of watchRun(viewer, { runId: run.id, pollMs: 1000, recheckMs: 100 })) {
          received++;
          if (received === 3) await db.workflowShare.deleteMany({ where: { userId: viewerUser.id } });
        }
      })();
      failure = await watching.then(
        () => null,
        (error: unknown) => error,
      );
    } finally {
      clearInterval(chatter);
    }
    expect(received).toBeGreaterThanOrEqual(3);
    expect(failure).toBeInstanceOf(AppError);
    expect(failure).toMatchObject({ code: "NOT_FOUND" });
    expect((failure as AppError).message).toContain("is no longer shared with you");
  });
});
