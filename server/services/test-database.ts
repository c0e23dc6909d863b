/**
 * Test support: a real SQLite database file in a fresh temporary folder, migrated by the same runner the app
 * uses. Not a mock: the services under test talk to SQLite through Prisma exactly as in production.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createDbClient, type DbClient } from "../db/client";
import { ensureDatabaseReady } from "../db/ready";
import { type InstanceRole, type ServiceContext, userActor } from "./context";
import { seedExamplesForAllAccounts } from "./workflows/seed-example-workflows";

export interface TestDatabase {
  url: string;
  dir: string;
  db: DbClient;
  /** Acting as the instance's owner account (created with the database): sees and may do everything. */
  ctx: ServiceContext;
  close(): Promise<void>;
}

export async function createTestDatabase(
  options: { seed?: boolean; url?: string } = {},
): Promise<TestDatabase> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dno-studio-db-"));
  const url = options.url ?? `file:${path.join(dir, "test.db")}`;
  const db = createDbClient(url);
  await ensureDatabaseReady({ databaseUrl: url, db, seed: false });
  const owner = await createTestUser(db, { name: "Test Owner", email: "owner@example.test", role: "owner" });
  // Examples belong to accounts: seeded once the owner exists, as at setup.
  if (options.seed) await seedExamplesForAllAccounts(db);
  return {
    url,
    dir,
    db,
    ctx: { db, actor: userActor(owner.id, "owner") },
    async close() {
      await db.$disconnect();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An account row for tests (no password: such a user can only act through a context built in the test). */
export async function createTestUser(
  db: DbClient,
  input: { name: string; email: string; role?: InstanceRole },
): Promise<{ id: string; email: string }> {
  return db.user.create({
    data: {
      id: `user-${input.email.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}`,
      name: input.name,
      email: input.email,
      role: input.role ?? "user",
    },
    select: { id: true, email: true },
  });
}

/** Every row of the tables services write, for "nothing changed" assertions. */
export async function snapshotTables(db: DbClient) {
  return {
    workflows: await db.workflow.findMany({ orderBy: { id: "asc" } }),
    versions: await db.workflowVersion.findMany({ orderBy: { id: "asc" } }),
  };
}
