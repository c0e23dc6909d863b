/** The admin's workers list on a real SQLite database: states by heartbeat age, current runs, admins only. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleWorkflows } from "@/nodes";
import { userActor } from "../context";
import { startRun } from "../runs/start-run";
import { createTestDatabase, createTestUser, type TestDatabase } from "../test-database";
import { createWorkflow } from "../workflows/create-workflow";
import { listWorkers } from "./list-workers";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

describe("listWorkers", () => {
  it("lists live workers first with their runs, then presumed dead, then stopped; only admins may", async () => {
    const now = new Date("2026-11-30T12:00:00.000Z");
    const ago = (ms: number) => new Date(now.getTime() - ms);
    const worker = (
      id: string,
      heartbeatAgoMs: number,
      extra: { stoppedAt?: Date; runsDone?: number } = {},
    ) =>
      database.db.worker.create({
        data: {
          id,
          host: `gpu-${id}`,
          pid: 4242,
          device: "cuda:0",
          concurrency: 2,
          startedAt: ago(3_600_000),
          lastHeartbeatAt: ago(heartbeatAgoMs),
          ...extra,
        },
      });
    await worker("stopped", 1000, { stoppedAt: ago(1000), runsDone: 7 });
    await worker("dead", 31_000);
    await worker("live", 29_000, { runsDone: 3 });
    const example = exampleWorkflows.find((candidate) => candidate.slug === "brighten-with-a-guard");
    if (!example) throw new Error("the brighten example is missing");
    const workflow = await createWorkflow(database.ctx, { name: "Served", document: example.document });
    const started = await startRun(database.ctx, {
      workflowId: workflow.id,
      versionId: workflow.headVersion.id,
    });
    await startRun(database.ctx, { workflowId: workflow.id, versionId: workflow.headVersion.id });
    await database.db.run.update({
      where: { id: started.run.id },
      data: { status: "running", workerId: "live", iterationsDone: 4 },
    });

    const view = await listWorkers(database.ctx, { now, presumedDeadAfterMs: 30_000 });
    expect(view.queued).toBe(1);
    expect(view.workers.map((entry) => [entry.id, entry.state, entry.runsDone])).toEqual([
      ["live", "live", 3],
      ["dead", "presumed-dead", 0],
      ["stopped", "stopped", 7],
    ]);
    expect(view.workers[0]).toMatchObject({
      host: "gpu-live",
      device: "cuda:0",
      concurrency: 2,
      heartbeatAgeMs: 29_000,
      currentRuns: [
        {
          runId: started.run.id,
          workflowId: workflow.id,
          workflowName: "Served",
          versionNumber: 1,
          iterationsDone: 4,
        },
      ],
    });
    expect(view.workers[1]?.currentRuns).toEqual([]);

    const member = await createTestUser(database.db, { name: "Mo", email: "mo@example.test" });
    await expect(listWorkers({ db: database.db, actor: userActor(member.id, "user") })).rejects.toMatchObject(
      {
        code: "FORBIDDEN",
        message: "Only the owner or an administrator of this DNO Studio can do this.",
      },
    );
  });
});
