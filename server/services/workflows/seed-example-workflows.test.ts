import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleWorkflows } from "@/nodes";
import { ensureDatabaseReady } from "../../db/ready";
import { createTestDatabase, type TestDatabase } from "../test-database";
import { deleteWorkflow } from "./delete-workflow";
import { listWorkflows } from "./list-workflows";
import { seedExampleWorkflows } from "./seed-example-workflows";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase({ seed: false });
});
afterAll(async () => {
  await database.close();
});

describe("seedExampleWorkflows", () => {
  it("seeds every example once, even when called concurrently and repeatedly", async () => {
    const results = await Promise.all([
      seedExampleWorkflows(database.ctx),
      seedExampleWorkflows(database.ctx),
      seedExampleWorkflows(database.ctx),
    ]);
    const createdSlugs = results.flatMap((result) => result.created).sort();
    expect(createdSlugs).toEqual(exampleWorkflows.map((example) => example.slug).sort());
    expect((await seedExampleWorkflows(database.ctx)).created).toEqual([]);
    const listed = await listWorkflows(database.ctx);
    expect(listed.map((workflow) => workflow.name).sort()).toEqual(
      exampleWorkflows.map((example) => example.name).sort(),
    );
    expect(listed.every((workflow) => workflow.headVersion.message === "Example")).toBe(true);
  });

  it("does not bring back an example the user deleted", async () => {
    const [first] = await listWorkflows(database.ctx);
    if (!first) throw new Error("nothing seeded");
    await deleteWorkflow(database.ctx, { workflowId: first.id });
    expect((await seedExampleWorkflows(database.ctx)).created).toEqual([]);
    expect((await listWorkflows(database.ctx)).map((workflow) => workflow.id)).not.toContain(first.id);
  });

  it("ensureDatabaseReady migrates and seeds a fresh database once; later calls share that work", async () => {
    const fresh = await createTestDatabase({ seed: true });
    try {
      expect(await fresh.db.workflow.count()).toBe(exampleWorkflows.length);
      const [first, second] = await Promise.all([
        ensureDatabaseReady({ databaseUrl: fresh.url, db: fresh.db }),
        ensureDatabaseReady({ databaseUrl: fresh.url, db: fresh.db }),
      ]);
      expect(second).toBe(first);
      expect(first.seededExamples.sort()).toEqual(exampleWorkflows.map((example) => example.slug).sort());
      expect(await fresh.db.workflow.count()).toBe(exampleWorkflows.length);
    } finally {
      await fresh.close();
    }
  });
});
