import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGraphNode, emptyGraphDocument, exampleWorkflows, type GraphDocument } from "@/nodes";
import { AppError } from "../../errors";
import { createTestDatabase, snapshotTables, type TestDatabase } from "../test-database";
import { createWorkflow } from "./create-workflow";
import { deleteWorkflow } from "./delete-workflow";
import { duplicateWorkflow } from "./duplicate-workflow";
import { getWorkflow } from "./get-workflow";
import { listWorkflows } from "./list-workflows";
import { renameWorkflow } from "./rename-workflow";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

function examples(index: number): GraphDocument {
  const example = exampleWorkflows[index];
  if (!example) throw new Error(`no example ${index}`);
  return structuredClone(example.document);
}

describe("workflow lifecycle services", () => {
  it("creates an empty workflow with version 1 “Created” and reads it back", async () => {
    const created = await createWorkflow(database.ctx, { name: "Empty", description: "nothing yet" });
    expect(created.headVersion).toMatchObject({ number: 1, message: "Created" });
    expect(created.document).toEqual(emptyGraphDocument());
    const fetched = await getWorkflow(database.ctx, { workflowId: created.id });
    expect(fetched).toEqual({ ...created, yourRole: "owner" });
    const rows = await database.db.workflowVersion.findMany({ where: { workflowId: created.id } });
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]?.document ?? "")).toEqual(emptyGraphDocument());
  });

  it("creates from a given document and stores it as the head", async () => {
    const document = examples(0);
    const created = await createWorkflow(database.ctx, { name: "From example", document });
    expect(created.document).toEqual(document);
    expect(created.headVersion.schemaVersion).toBe(document.schemaVersion);
  });

  it("refuses a document with an unknown node type or a parameter out of range, storing nothing", async () => {
    const before = await snapshotTables(database.db);
    const unknownType = emptyGraphDocument();
    unknownType.nodes.push({
      ...createGraphNode("prompt", { id: "x-1", position: { x: 0, y: 0 } }),
      type: "teleporter",
    });
    await expect(createWorkflow(database.ctx, { name: "Bad", document: unknownType })).rejects.toMatchObject({
      code: "VALIDATION",
      details: { issues: [expect.objectContaining({ nodeId: "x-1", code: "unknown-node-type" })] },
    });
    const outOfRange = examples(0);
    const sampler = outOfRange.nodes.find((node) => node.type === "sampler");
    if (!sampler) throw new Error("example without sampler");
    sampler.params.steps = 5000;
    const error = await createWorkflow(database.ctx, { name: "Bad", document: outOfRange }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).issues).toContainEqual(
      expect.objectContaining({ nodeId: sampler.id, param: "steps" }),
    );
    expect(await snapshotTables(database.db)).toEqual(before);
  });

  it("lists live workflows, most recently changed first", async () => {
    const first = await createWorkflow(database.ctx, { name: "List A" });
    const second = await createWorkflow(database.ctx, { name: "List B" });
    await renameWorkflow(database.ctx, { workflowId: first.id, name: "List A renamed" });
    const listed = await listWorkflows(database.ctx);
    const ids = listed.map((workflow) => workflow.id);
    expect(ids.indexOf(first.id)).toBeLessThan(ids.indexOf(second.id));
    expect(listed.find((workflow) => workflow.id === first.id)).toMatchObject({
      name: "List A renamed",
      headVersion: { number: 1 },
    });
  });

  it("renames without making a version and keeps the description unless given", async () => {
    const created = await createWorkflow(database.ctx, { name: "Old", description: "keep me" });
    const renamed = await renameWorkflow(database.ctx, { workflowId: created.id, name: "New" });
    expect(renamed).toMatchObject({
      name: "New",
      description: "keep me",
      headVersion: { id: created.headVersion.id },
    });
    const described = await renameWorkflow(database.ctx, {
      workflowId: created.id,
      name: "New",
      description: "",
    });
    expect(described.description).toBe("");
  });

  it("duplicates the head document into a new workflow and leaves the source alone", async () => {
    const source = await createWorkflow(database.ctx, { name: "Source", document: examples(1) });
    const before = await getWorkflow(database.ctx, { workflowId: source.id });
    const copy = await duplicateWorkflow(database.ctx, { workflowId: source.id });
    expect(copy.id).not.toBe(source.id);
    expect(copy.name).toBe("Copy of Source");
    expect(copy.document).toEqual(source.document);
    expect(copy.headVersion).toMatchObject({ number: 1, message: "Duplicated from “Source” version 1" });
    expect(await getWorkflow(database.ctx, { workflowId: source.id })).toEqual(before);
    const named = await duplicateWorkflow(database.ctx, { workflowId: source.id, name: "Mine" });
    expect(named.name).toBe("Mine");
  });

  it("deletes: gone from the list and from lookups, NOT_FOUND afterwards", async () => {
    const doomed = await createWorkflow(database.ctx, { name: "Doomed" });
    await deleteWorkflow(database.ctx, { workflowId: doomed.id });
    expect((await listWorkflows(database.ctx)).map((workflow) => workflow.id)).not.toContain(doomed.id);
    await expect(getWorkflow(database.ctx, { workflowId: doomed.id })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(deleteWorkflow(database.ctx, { workflowId: doomed.id })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(renameWorkflow(database.ctx, { workflowId: doomed.id, name: "x" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("answers NOT_FOUND for an unknown id", async () => {
    await expect(getWorkflow(database.ctx, { workflowId: "nope" })).rejects.toMatchObject({
      code: "NOT_FOUND",
      message:
        "Workflow “nope” does not exist, was deleted, or is no longer shared with you. Ask its owner if you need access.",
    });
  });
});
