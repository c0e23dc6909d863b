/**
 * The run router's scheduling surface through the real router (createCaller): the priority input is
 * validated, "high" is refused to people who are not admins with a sentence, and a queued run's place comes
 * back through run.queuePosition and run.queue.
 */
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { exampleWorkflows } from "@/nodes";
import { userActor } from "../../services/context";
import { createTestDatabase, createTestUser, type TestDatabase } from "../../services/test-database";
import { createWorkflow } from "../../services/workflows/create-workflow";
import { createCaller } from "../root";

let database: TestDatabase;
let member: ReturnType<typeof createCaller>;
let owner: ReturnType<typeof createCaller>;
let workflow: { id: string; versionId: string };

beforeAll(async () => {
  // run.start wakes the app's embedded worker, which would serve the default database, not this one.
  vi.stubEnv("DNO_EMBEDDED_WORKER", "0");
  database = await createTestDatabase();
  const user = await createTestUser(database.db, { name: "Mia", email: "mia@example.test" });
  const memberCtx = { db: database.db, actor: userActor(user.id, "user") };
  member = createCaller(memberCtx);
  owner = createCaller(database.ctx);
  const example = exampleWorkflows.find((candidate) => candidate.slug === "brighten-with-a-guard");
  if (!example) throw new Error("the brighten example is missing");
  const created = await createWorkflow(memberCtx, { name: "Mia's", document: example.document });
  workflow = { id: created.id, versionId: created.headVersion.id };
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await database.close();
});

async function refusal(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

describe("run router: priorities and queue places", () => {
  it("accepts only the three bands and gives high to admins only", async () => {
    const unknownBand = await refusal(
      // @ts-expect-error: not a band
      member.run.start({ workflowId: workflow.id, versionId: workflow.versionId, priority: "urgent" }),
    );
    expect(unknownBand.code).toBe("BAD_REQUEST");
    const high = await refusal(
      member.run.start({ workflowId: workflow.id, versionId: workflow.versionId, priority: "high" }),
    );
    expect(high.code).toBe("FORBIDDEN");
    expect(high.message).toBe(
      "Only the owner or an administrator of this DNO Studio can queue a run with high priority. Queue it with normal or low priority, or ask an administrator to raise it.",
    );
    expect(await database.db.run.count()).toBe(0);

    const low = await member.run.start({
      workflowId: workflow.id,
      versionId: workflow.versionId,
      priority: "low",
    });
    const normal = await member.run.start({ workflowId: workflow.id, versionId: workflow.versionId });
    const urgent = await owner.run.start({
      workflowId: workflow.id,
      versionId: workflow.versionId,
      priority: "high",
    });
    const place = await member.run.queuePosition({ runId: low.run.id });
    // No worker in this test: the line says so rather than guessing.
    expect(place).toMatchObject({
      status: "queued",
      position: 3,
      queued: 3,
      liveWorkers: 0,
      estimate: { kind: "no-worker" },
    });
    const list = await member.run.queue({ workflowId: workflow.id });
    expect(list.places.map((entry) => [entry.runId, entry.position])).toEqual([
      [urgent.run.id, 1],
      [normal.run.id, 2],
      [low.run.id, 3],
    ]);
  });
});
