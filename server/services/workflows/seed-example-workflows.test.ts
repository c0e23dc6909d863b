import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleWorkflows } from "@/nodes";
import { createDbClient } from "../../db/client";
import { ensureDatabaseReady } from "../../db/ready";
import { SYSTEM, userActor } from "../context";
import { createTestDatabase, createTestUser, type TestDatabase } from "../test-database";
import { deleteWorkflow } from "./delete-workflow";
import { listWorkflows } from "./list-workflows";
import { seedExamplesForAllAccounts, seedExampleWorkflows } from "./seed-example-workflows";

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

  it("gives every account its own copy of the examples; another account's copies do not count", async () => {
    const other = await createTestUser(database.db, { name: "Other", email: "other@example.test" });
    const otherCtx = { db: database.db, actor: userActor(other.id, "user") };
    const created = (await seedExampleWorkflows(otherCtx)).created;
    expect(created.sort()).toEqual(exampleWorkflows.map((example) => example.slug).sort());
    const theirs = await database.db.workflow.findMany({ where: { ownerId: other.id } });
    expect(theirs).toHaveLength(exampleWorkflows.length);
    expect((await seedExampleWorkflows(otherCtx)).created).toEqual([]);
    // The instance owner may open the other account's copies, but their list stays their own workspace.
    const ownersList = await listWorkflows(database.ctx);
    expect(ownersList.every((workflow) => workflow.ownerId === database.ctx.actor.userId)).toBe(true);
    // The app itself is not an account: it seeds nothing (no owner-less examples).
    expect((await seedExampleWorkflows({ db: database.db, actor: SYSTEM })).created).toEqual([]);
    expect(await database.db.workflow.count({ where: { ownerId: null } })).toBe(0);
  });

  it("start-up seeds nothing before the first account exists, then fills in what each account is missing", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dno-seed-"));
    const url = `file:${path.join(dir, "fresh.db")}`;
    const db = createDbClient(url);
    try {
      const [first, second] = await Promise.all([
        ensureDatabaseReady({ databaseUrl: url, db }),
        ensureDatabaseReady({ databaseUrl: url, db }),
      ]);
      expect(second).toBe(first);
      expect(first.seededExamples).toEqual([]);
      expect(await db.workflow.count()).toBe(0);
      const owner = await createTestUser(db, { name: "Owner", email: "first@example.test", role: "owner" });
      const report = await seedExamplesForAllAccounts(db);
      expect(report.created.sort()).toEqual(exampleWorkflows.map((example) => example.slug).sort());
      expect(await db.workflow.count({ where: { ownerId: owner.id } })).toBe(exampleWorkflows.length);
      expect((await seedExamplesForAllAccounts(db)).created).toEqual([]);
    } finally {
      await db.$disconnect();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
