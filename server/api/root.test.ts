import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleWorkflows, type GraphDocument } from "@/nodes";
import { AppError } from "../errors";
import { createTestDatabase, snapshotTables, type TestDatabase } from "../services/test-database";
import { appRouter, createCaller } from "./root";

let database: TestDatabase;
let caller: ReturnType<typeof createCaller>;
beforeAll(async () => {
  database = await createTestDatabase({ seed: true });
  caller = createCaller(database.ctx);
});
afterAll(async () => {
  await database.close();
});

function exampleDocument(): GraphDocument {
  const example = exampleWorkflows[0];
  if (!example) throw new Error("no examples");
  return structuredClone(example.document);
}

async function rejection(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

describe("appRouter through createCaller", () => {
  it("exposes exactly the agreed workflow and version procedures", () => {
    const names = Object.keys(appRouter._def.procedures).filter((name) => /^(workflow|version)\./.test(name));
    expect(names.sort()).toEqual(
      [
        "version.diff",
        "version.get",
        "version.list",
        "version.restore",
        "workflow.activeRuns",
        "workflow.create",
        "workflow.delete",
        "workflow.duplicate",
        "workflow.export",
        "workflow.get",
        "workflow.import",
        "workflow.list",
        "workflow.listDeleted",
        "workflow.rename",
        "workflow.restore",
        "workflow.save",
      ].sort(),
    );
  });

  it("runs the editor's flow: list seeded examples, open, save, list versions, restore, export, import", async () => {
    const listed = await caller.workflow.list();
    expect(listed.map((workflow) => workflow.name)).toEqual(
      expect.arrayContaining(exampleWorkflows.map((example) => example.name)),
    );
    const opened = await caller.workflow.get({ workflowId: listed[0]?.id ?? "" });
    const changed = structuredClone(opened.document);
    const firstNode = changed.nodes[0];
    if (!firstNode) throw new Error("empty example");
    firstNode.position = { x: firstNode.position.x + 50, y: firstNode.position.y };
    const saved = await caller.workflow.save({
      workflowId: opened.id,
      baseVersionId: opened.headVersion.id,
      document: changed,
      message: "nudged",
    });
    expect(saved.version.number).toBe(2);
    expect(saved.version.createdAt).toBeInstanceOf(Date);
    const versions = await caller.version.list({ workflowId: opened.id });
    expect(versions.map((version) => version.number)).toEqual([2, 1]);
    const restored = await caller.version.restore({
      workflowId: opened.id,
      versionId: opened.headVersion.id,
      baseVersionId: saved.version.id,
    });
    expect(restored.version.message).toBe("Restored version 1");
    expect((await caller.version.get({ versionId: restored.version.id })).document).toEqual(opened.document);
    const exported = await caller.workflow.export({ workflowId: opened.id });
    const imported = await caller.workflow.import({ text: exported.json, fileName: exported.fileName });
    expect(imported.document).toEqual(opened.document);
  });

  it("maps a stale save to CONFLICT with the AppError as cause", async () => {
    const created = await caller.workflow.create({ name: "Conflicted", document: exampleDocument() });
    await caller.workflow.save({
      workflowId: created.id,
      baseVersionId: created.headVersion.id,
      document: created.document,
      message: "first",
    });
    const error = await rejection(
      caller.workflow.save({
        workflowId: created.id,
        baseVersionId: created.headVersion.id,
        document: created.document,
        message: "stale",
      }),
    );
    expect(error.code).toBe("CONFLICT");
    expect(error.message).toContain("now at version 2, “first”");
    expect(error.cause).toBeInstanceOf(AppError);
  });

  it("maps NOT_FOUND and PAYLOAD_TOO_LARGE", async () => {
    expect((await rejection(caller.workflow.get({ workflowId: "missing" }))).code).toBe("NOT_FOUND");
    const big = await rejection(caller.workflow.import({ text: " ".repeat(2 * 1024 * 1024) }));
    expect(big.code).toBe("PAYLOAD_TOO_LARGE");
    expect(big.message).toBe(
      "The file is 2 MB; the limit is 1 MB (MAX_IMPORT_BYTES). Is this really a workflow?",
    );
  });

  it("rejects bad inputs with zod before any service runs, storing nothing", async () => {
    const before = await snapshotTables(database.db);
    const blankName = await rejection(caller.workflow.create({ name: "   " }));
    expect(blankName.code).toBe("BAD_REQUEST");
    expect(blankName.message).toContain("A workflow needs a name");

    const longName = await rejection(caller.workflow.create({ name: "x".repeat(500) }));
    expect(longName.code).toBe("BAD_REQUEST");

    const outOfRange = exampleDocument();
    const sampler = outOfRange.nodes.find((node) => node.type === "sampler");
    if (!sampler) throw new Error("no sampler");
    sampler.params.steps = 0;
    const badParam = await rejection(caller.workflow.create({ name: "Bad params", document: outOfRange }));
    expect(badParam.code).toBe("BAD_REQUEST");
    expect(badParam.message).toContain("steps");

    const notADocument = await rejection(
      // @ts-expect-error: the point is a document of the wrong shape
      caller.workflow.save({ workflowId: "w", baseVersionId: "v", document: { nodes: "many" }, message: "" }),
    );
    expect(notADocument.code).toBe("BAD_REQUEST");

    // @ts-expect-error: a missing id
    const missingId = await rejection(caller.version.get({}));
    expect(missingId.code).toBe("BAD_REQUEST");
    expect(await snapshotTables(database.db)).toEqual(before);
  });
});
