import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleWorkflows, type GraphDocument } from "@/nodes";
import { createTestDatabase, snapshotTables, type TestDatabase } from "../test-database";
import { createWorkflow } from "../workflows/create-workflow";
import { getWorkflow } from "../workflows/get-workflow";
import { saveWorkflow } from "../workflows/save-workflow";
import { getVersion } from "./get-version";
import { listVersions } from "./list-versions";
import { restoreVersion } from "./restore-version";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

function documentWithSeed(seed: number): GraphDocument {
  const example = exampleWorkflows[0];
  if (!example) throw new Error("no examples");
  const document = structuredClone(example.document);
  const noise = document.nodes.find((node) => node.type === "noise");
  if (!noise) throw new Error("no noise node");
  noise.params.seed = seed;
  return document;
}

async function workflowWithThreeVersions() {
  const created = await createWorkflow(database.ctx, { name: "History", document: documentWithSeed(1) });
  const v2 = await saveWorkflow(database.ctx, {
    workflowId: created.id,
    baseVersionId: created.headVersion.id,
    document: documentWithSeed(2),
    message: "seed 2",
  });
  const v3 = await saveWorkflow(database.ctx, {
    workflowId: created.id,
    baseVersionId: v2.version.id,
    document: documentWithSeed(3),
    message: "seed 3",
  });
  return { created, v2, v3 };
}

describe("versions", () => {
  it("lists versions newest first and marks the head", async () => {
    const { created, v3 } = await workflowWithThreeVersions();
    const versions = await listVersions(database.ctx, { workflowId: created.id });
    expect(versions.map((version) => [version.number, version.message, version.isHead])).toEqual([
      [3, "seed 3", true],
      [2, "seed 2", false],
      [1, "Created", false],
    ]);
    expect(versions[0]?.id).toBe(v3.version.id);
  });

  it("gets one version with its document", async () => {
    const { created, v2 } = await workflowWithThreeVersions();
    const version = await getVersion(database.ctx, { versionId: v2.version.id });
    expect(version).toMatchObject({ number: 2, isHead: false, workflowId: created.id });
    expect(version.document).toEqual(documentWithSeed(2));
    await expect(getVersion(database.ctx, { versionId: "nope" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("restores non-destructively: a new head copying the old document, history kept", async () => {
    const { created, v3 } = await workflowWithThreeVersions();
    const restored = await restoreVersion(database.ctx, {
      workflowId: created.id,
      versionId: created.headVersion.id,
      baseVersionId: v3.version.id,
    });
    expect(restored.version).toMatchObject({
      number: 4,
      message: "Restored version 1",
      restoredFromVersionId: created.headVersion.id,
    });
    const head = await getWorkflow(database.ctx, { workflowId: created.id });
    expect(head.headVersion.id).toBe(restored.version.id);
    expect(head.document).toEqual(documentWithSeed(1));
    const versions = await listVersions(database.ctx, { workflowId: created.id });
    expect(versions.map((version) => version.number)).toEqual([4, 3, 2, 1]);
    expect((await getVersion(database.ctx, { versionId: v3.version.id })).document).toEqual(
      documentWithSeed(3),
    );
  });

  it("refuses a restore from a stale view with CONFLICT and changes nothing", async () => {
    const { created, v2 } = await workflowWithThreeVersions();
    const before = await snapshotTables(database.db);
    await expect(
      restoreVersion(database.ctx, {
        workflowId: created.id,
        versionId: created.headVersion.id,
        baseVersionId: v2.version.id,
      }),
    ).rejects.toMatchObject({ code: "CONFLICT", details: { headVersionNumber: 3, headMessage: "seed 3" } });
    expect(await snapshotTables(database.db)).toEqual(before);
  });

  it("refuses to restore a version of another workflow", async () => {
    const first = await workflowWithThreeVersions();
    const other = await createWorkflow(database.ctx, { name: "Other", document: documentWithSeed(9) });
    await expect(
      restoreVersion(database.ctx, {
        workflowId: first.created.id,
        versionId: other.headVersion.id,
        baseVersionId: first.v3.version.id,
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
