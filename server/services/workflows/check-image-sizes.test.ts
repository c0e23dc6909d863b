/**
 * A run whose Sampler asks its model for a size it cannot draw is refused before it is queued (and before
 * the editor's document is saved as a version), with the editor's sentence on Sampler › Image size; saving
 * such a workflow stays allowed (the user may be half-way through picking a model).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleWorkflows, type GraphDocument } from "@/nodes";
import { AppError } from "../../errors";
import { startRun } from "../runs/start-run";
import { createTestDatabase, snapshotTables, type TestDatabase } from "../test-database";
import { createWorkflow } from "./create-workflow";
import { saveWorkflow } from "./save-workflow";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

/** The first example (bundled tiny-shapes-sd, whose graphs fix 64 px) with its Sampler's Image size set. */
function withImageSize(imageSize: number): GraphDocument {
  const document = structuredClone(exampleWorkflows[0]!.document);
  const sampler = document.nodes.find((node) => node.type === "sampler");
  if (!sampler) throw new Error("no sampler");
  sampler.params.imageSize = imageSize;
  return document;
}

async function caught(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("starting a run at an Image size the model cannot draw", () => {
  it("is refused naming the Sampler, Image size and the size the model draws, storing nothing", async () => {
    const workflow = await createWorkflow(database.ctx, { name: "Sizes", document: withImageSize(0) });
    const before = await snapshotTables(database.db);
    const message =
      "Sampler 1 › Image size: 128 px is not possible: this model draws only 64×64 px (its graphs fix the size); choose “Model default”.";
    const fromEditor = await caught(
      startRun(database.ctx, {
        workflowId: workflow.id,
        baseVersionId: workflow.headVersion.id,
        document: withImageSize(128),
      }),
    );
    expect(fromEditor.code).toBe("VALIDATION");
    expect(fromEditor.message).toBe(`“Sizes” cannot run: ${message}`);
    expect(fromEditor.issues).toEqual([
      { code: "image-size-unsupported", nodeId: "sampler-1", param: "imageSize", message },
    ]);
    expect(await snapshotTables(database.db)).toEqual(before);

    // A saved version with that size saves, and is refused when run.
    const saved = await saveWorkflow(database.ctx, {
      workflowId: workflow.id,
      baseVersionId: workflow.headVersion.id,
      document: withImageSize(128),
      message: "128 px",
    });
    const runsBefore = await database.db.run.count();
    const fromVersion = await caught(
      startRun(database.ctx, { workflowId: workflow.id, versionId: saved.version.id }),
    );
    expect(fromVersion.message).toBe(`“Sizes” version 2 cannot run: ${message}`);
    expect(await database.db.run.count()).toBe(runsBefore);
  });

  it("queues the model's own size", async () => {
    const workflow = await createWorkflow(database.ctx, { name: "Default", document: withImageSize(64) });
    const { run } = await startRun(database.ctx, {
      workflowId: workflow.id,
      versionId: workflow.headVersion.id,
    });
    expect(run.status).toBe("queued");
  });
});
