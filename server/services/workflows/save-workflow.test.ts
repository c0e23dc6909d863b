import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGraphNode, exampleWorkflows, type GraphDocument } from "@/nodes";
import { AppError } from "../../errors";
import { createTestDatabase, snapshotTables, type TestDatabase } from "../test-database";
import { createWorkflow } from "./create-workflow";
import { getWorkflow } from "./get-workflow";
import { saveWorkflow } from "./save-workflow";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

function exampleDocument(): GraphDocument {
  const example = exampleWorkflows[0];
  if (!example) throw new Error("no examples");
  return structuredClone(example.document);
}

function withMovedPrompt(document: GraphDocument, x: number): GraphDocument {
  const copy = structuredClone(document);
  const prompt = copy.nodes.find((node) => node.type === "prompt");
  if (!prompt) throw new Error("no prompt");
  prompt.position = { x, y: prompt.position.y };
  return copy;
}

describe("saveWorkflow", () => {
  it("stores each save as the next version and moves the head", async () => {
    const created = await createWorkflow(database.ctx, { name: "Saves", document: exampleDocument() });
    const second = withMovedPrompt(created.document, 111);
    const saved = await saveWorkflow(database.ctx, {
      workflowId: created.id,
      baseVersionId: created.headVersion.id,
      document: second,
      message: "moved the prompt",
    });
    expect(saved.version).toMatchObject({ number: 2, message: "moved the prompt" });
    expect(saved.workflow.headVersion.id).toBe(saved.version.id);
    const third = await saveWorkflow(database.ctx, {
      workflowId: created.id,
      baseVersionId: saved.version.id,
      document: withMovedPrompt(second, 222),
      message: "  ",
    });
    expect(third.version).toMatchObject({ number: 3, message: "Saved" });
    const fetched = await getWorkflow(database.ctx, { workflowId: created.id });
    expect(fetched.document.nodes.find((node) => node.type === "prompt")?.position.x).toBe(222);
    // The earlier version is untouched (versions are immutable).
    const v2 = await database.db.workflowVersion.findUniqueOrThrow({ where: { id: saved.version.id } });
    expect(JSON.parse(v2.document)).toEqual(second);
  });

  it("rejects a save from a stale copy with CONFLICT naming the current version, and changes nothing", async () => {
    const created = await createWorkflow(database.ctx, { name: "Two windows", document: exampleDocument() });
    const windowA = await getWorkflow(database.ctx, { workflowId: created.id });
    const windowB = await getWorkflow(database.ctx, { workflowId: created.id });
    await saveWorkflow(database.ctx, {
      workflowId: created.id,
      baseVersionId: windowA.headVersion.id,
      document: withMovedPrompt(windowA.document, 10),
      message: "edit from window A",
    });
    const before = await snapshotTables(database.db);
    const error = await saveWorkflow(database.ctx, {
      workflowId: created.id,
      baseVersionId: windowB.headVersion.id,
      document: withMovedPrompt(windowB.document, 20),
      message: "edit from window B",
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({
      code: "CONFLICT",
      message:
        "This workflow was saved from another window since you opened it (now at version 2, “edit from window A”). " +
        "Reload to see those changes; your edits were not saved.",
      details: { headVersionNumber: 2, headMessage: "edit from window A" },
    });
    expect(await snapshotTables(database.db)).toEqual(before);
  });

  it("lets exactly one of many concurrent saves from the same base win; the others get CONFLICT", async () => {
    const created = await createWorkflow(database.ctx, { name: "Race", document: exampleDocument() });
    const attempts = await Promise.allSettled(
      Array.from({ length: 6 }, (_, index) =>
        saveWorkflow(database.ctx, {
          workflowId: created.id,
          baseVersionId: created.headVersion.id,
          document: withMovedPrompt(created.document, 1000 + index),
          message: `attempt ${index}`,
        }),
      ),
    );
    const winners = attempts.filter((attempt) => attempt.status === "fulfilled");
    const losers = attempts.filter((attempt) => attempt.status === "rejected");
    expect(winners).toHaveLength(1);
    for (const loser of losers) expect(loser.reason).toMatchObject({ code: "CONFLICT" });
    const versions = await database.db.workflowVersion.findMany({ where: { workflowId: created.id } });
    expect(versions.map((version) => version.number).sort()).toEqual([1, 2]);
  });

  it("refuses documents with save-blocking issues and leaves the workflow as it was", async () => {
    const created = await createWorkflow(database.ctx, { name: "Guarded", document: exampleDocument() });
    const before = await snapshotTables(database.db);
    const bad = structuredClone(created.document);
    bad.nodes.push({
      ...createGraphNode("noise", { id: "ghost-1", position: { x: 0, y: 0 } }),
      type: "ghost",
    });
    await expect(
      saveWorkflow(database.ctx, {
        workflowId: created.id,
        baseVersionId: created.headVersion.id,
        document: bad,
        message: "x",
      }),
    ).rejects.toMatchObject({
      code: "VALIDATION",
      message: expect.stringContaining("“Guarded” was not saved"),
    });
    const future = { ...structuredClone(created.document), schemaVersion: 99 };
    await expect(
      saveWorkflow(database.ctx, {
        workflowId: created.id,
        baseVersionId: created.headVersion.id,
        document: future,
        message: "x",
      }),
    ).rejects.toMatchObject({ code: "UNSUPPORTED_VERSION" });
    expect(await snapshotTables(database.db)).toEqual(before);
  });

  it("answers NOT_FOUND for a deleted or unknown workflow", async () => {
    await expect(
      saveWorkflow(database.ctx, {
        workflowId: "missing",
        baseVersionId: "x",
        document: exampleDocument(),
        message: "",
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
