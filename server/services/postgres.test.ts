/**
 * The same services against PostgreSQL (the deployed database), on a fresh database created for this run.
 * Runs when DNO_TEST_POSTGRES_URL names a server where the user may create databases, e.g.
 * postgresql://dno:dno@127.0.0.1:5432/postgres (.ci/run starts one); skipped otherwise.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createThrowawayPostgres, type ThrowawayPostgres } from "../db/testing/throwaway-postgres";
import { exampleWorkflows, type GraphDocument } from "@/nodes";
import { applyMigrations, checkMigrations } from "../../prisma/migration-runner";
import { createDbClient } from "../db/client";
import { ensureDatabaseReady } from "../db/ready";
import { type ServiceContext, userActor } from "./context";
import { createTestUser, snapshotTables } from "./test-database";
import { seedExamplesForAllAccounts } from "./workflows/seed-example-workflows";
import { restoreVersion } from "./versions/restore-version";
import { createWorkflow } from "./workflows/create-workflow";
import { exportWorkflow } from "./workflows/export-workflow";
import { getWorkflow } from "./workflows/get-workflow";
import { importWorkflow } from "./workflows/import-workflow";
import { listWorkflows } from "./workflows/list-workflows";
import { saveWorkflow } from "./workflows/save-workflow";

const serverUrl = process.env.DNO_TEST_POSTGRES_URL;

function exampleDocument(): GraphDocument {
  const example = exampleWorkflows[0];
  if (!example) throw new Error("no examples");
  return structuredClone(example.document);
}

describe.skipIf(!serverUrl)("services on PostgreSQL", () => {
  let database: ThrowawayPostgres;
  let url: string;
  let ctx: ServiceContext;

  beforeAll(async () => {
    database = await createThrowawayPostgres(serverUrl ?? "");
    url = database.url;
    const db = createDbClient(url);
    await ensureDatabaseReady({ databaseUrl: url, db });
    const owner = await createTestUser(db, {
      name: "Test Owner",
      email: "owner@example.test",
      role: "owner",
    });
    // Examples belong to accounts: seeded once the owner exists, as at setup.
    await seedExamplesForAllAccounts(db);
    ctx = { db, actor: userActor(owner.id, "owner") };
  });

  afterAll(async () => {
    await ctx?.db.$disconnect();
    await database?.drop();
  });

  it("migrated the database (re-run is a no-op) and the PostgreSQL migrations match the schema", async () => {
    expect((await applyMigrations(url)).appliedMigrationNames).toEqual([]);
    expect(await checkMigrations({ postgresServerUrl: serverUrl })).toEqual([]);
    const listed = await listWorkflows(ctx);
    expect(listed.map((workflow) => workflow.name).sort()).toEqual(
      exampleWorkflows.map((example) => example.name).sort(),
    );
  });

  it("saves versions, refuses stale saves with CONFLICT and lets one of concurrent saves win", async () => {
    const created = await createWorkflow(ctx, { name: "PG saves", document: exampleDocument() });
    const saved = await saveWorkflow(ctx, {
      workflowId: created.id,
      baseVersionId: created.headVersion.id,
      document: created.document,
      message: "second",
    });
    expect(saved.version.number).toBe(2);
    const before = await snapshotTables(ctx.db);
    await expect(
      saveWorkflow(ctx, {
        workflowId: created.id,
        baseVersionId: created.headVersion.id,
        document: created.document,
        message: "stale",
      }),
    ).rejects.toMatchObject({ code: "CONFLICT", details: { headVersionNumber: 2 } });
    expect(await snapshotTables(ctx.db)).toEqual(before);

    const attempts = await Promise.allSettled(
      Array.from({ length: 5 }, (_, index) =>
        saveWorkflow(ctx, {
          workflowId: created.id,
          baseVersionId: saved.version.id,
          document: created.document,
          message: `racer ${index}`,
        }),
      ),
    );
    expect(attempts.filter((attempt) => attempt.status === "fulfilled")).toHaveLength(1);
    for (const attempt of attempts) {
      if (attempt.status === "rejected") expect(attempt.reason).toMatchObject({ code: "CONFLICT" });
    }
    const numbers = (await ctx.db.workflowVersion.findMany({ where: { workflowId: created.id } }))
      .map((version) => version.number)
      .sort();
    expect(numbers).toEqual([1, 2, 3]);
  });

  it("restores, exports and imports", async () => {
    const created = await createWorkflow(ctx, { name: "PG restore", document: exampleDocument() });
    const changed = exampleDocument();
    changed.nodes = changed.nodes.slice(0, 1);
    changed.edges = [];
    const saved = await saveWorkflow(ctx, {
      workflowId: created.id,
      baseVersionId: created.headVersion.id,
      document: changed,
      message: "trimmed",
    });
    const restored = await restoreVersion(ctx, {
      workflowId: created.id,
      versionId: created.headVersion.id,
      baseVersionId: saved.version.id,
    });
    expect(restored.version).toMatchObject({ number: 3, message: "Restored version 1" });
    expect((await getWorkflow(ctx, { workflowId: created.id })).document).toEqual(created.document);
    const exported = await exportWorkflow(ctx, { workflowId: created.id });
    const imported = await importWorkflow(ctx, { text: exported.json, fileName: exported.fileName });
    expect(imported.document).toEqual(created.document);
  });
});
