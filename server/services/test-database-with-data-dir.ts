/**
 * Test support for a whole test file: a real migrated database (test-database.ts) and a fresh DNO_DATA_DIR
 * for its artifacts and checkpoints, both created before the file's tests and removed after them (the
 * previous DNO_DATA_DIR is restored). Read `database` and `dataDir` inside tests or hooks, not at load time.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { createTestDatabase, type TestDatabase } from "./test-database";

export interface TestDatabaseWithDataDir {
  readonly database: TestDatabase;
  readonly dataDir: string;
}

export function testDatabaseWithDataDir(dataDirPrefix: string): TestDatabaseWithDataDir {
  let database: TestDatabase | undefined;
  let dataDir: string | undefined;
  const previousDataDir = process.env.DNO_DATA_DIR;
  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), dataDirPrefix));
    process.env.DNO_DATA_DIR = dataDir;
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    if (previousDataDir === undefined) delete process.env.DNO_DATA_DIR;
    else process.env.DNO_DATA_DIR = previousDataDir;
  });
  return {
    get database() {
      if (!database) throw new Error("The test database is ready only inside tests and hooks.");
      return database;
    },
    get dataDir() {
      if (!dataDir) throw new Error("The data folder is ready only inside tests and hooks.");
      return dataDir;
    },
  };
}
