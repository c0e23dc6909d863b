import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../server/db/repo-root";
import {
  applyMigrations,
  checkMigrations,
  derivePostgresSchema,
  diffMigrationsToSchema,
  MIGRATION_BUSY_TIMEOUT_MS,
  nextMigrationFolderName,
  providerLayout,
  readMigrationList,
} from "./migration-runner";

const temporaryDirs: string[] = [];
function temporaryDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dno-migrate-"));
  temporaryDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temporaryDirs) fs.rmSync(dir, { recursive: true, force: true });
});

const EXPECTED_TABLES = ["Artifact", "Run", "RunLogEntry", "RunStep", "Workflow", "WorkflowVersion"];

describe("applyMigrations on SQLite", () => {
  it("creates every table on a fresh file and records _prisma_migrations rows like prisma migrate deploy", async () => {
    const file = path.join(temporaryDir(), "nested", "fresh.db");
    const result = await applyMigrations(`file:${file}`);
    const folders = readMigrationList(providerLayout("sqlite")).migrationDirectories.map(
      (entry) => entry.path,
    );
    expect(folders.length).toBeGreaterThan(0);
    expect(result).toEqual({ provider: "sqlite", appliedMigrationNames: folders });

    const sqlite = new Database(file, { readonly: true });
    try {
      const tables = sqlite
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .all()
        .map((row) => (row as { name: string }).name);
      for (const table of [...EXPECTED_TABLES, "_prisma_migrations"]) expect(tables).toContain(table);

      const rows = sqlite
        .prepare(
          "SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count, logs FROM _prisma_migrations ORDER BY migration_name",
        )
        .all() as Array<Record<string, unknown>>;
      expect(rows.map((row) => row.migration_name)).toEqual(folders);
      for (const row of rows) {
        const script = fs.readFileSync(
          path.join(repoRoot(), "prisma", "migrations", String(row.migration_name), "migration.sql"),
        );
        expect(row.checksum).toBe(createHash("sha256").update(script).digest("hex"));
        expect(row.finished_at).not.toBeNull();
        expect(row.rolled_back_at).toBeNull();
        expect(row.logs).toBeNull();
        expect(Number(row.applied_steps_count)).toBe(1);
      }
    } finally {
      sqlite.close();
    }

    const again = await applyMigrations(`file:${file}`);
    expect(again.appliedMigrationNames).toEqual([]);
  });

  it("waits for another process's lock on the file longer than better-sqlite3's 5 s default", async () => {
    const file = path.join(temporaryDir(), "locked.db");
    new Database(file).close();
    // Another process (better-sqlite3 waits synchronously, so the holder cannot share this thread) takes the
    // write lock, says so, and keeps it for 6.5 s.
    const holder = spawn(
      process.execPath,
      [
        "-e",
        `const db = new (require("better-sqlite3"))(${JSON.stringify(file)});
         db.exec("BEGIN EXCLUSIVE");
         process.stdout.write("locked\\n");
         Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 6500);
         db.exec("COMMIT");
         db.close();`,
      ],
      { cwd: repoRoot(), stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("locked") && resolve());
      holder.on("exit", (code) => reject(new Error(`the lock holder exited early (${code})`)));
    });
    const started = Date.now();
    const result = await applyMigrations(`file:${file}`);
    expect(Date.now() - started).toBeGreaterThan(5000);
    expect(result.appliedMigrationNames.length).toBeGreaterThan(0);
    expect(MIGRATION_BUSY_TIMEOUT_MS).toBeGreaterThanOrEqual(30_000);
  }, 30_000);
});

describe("drift between schema.prisma and the migrations", () => {
  it("reports none for the committed schema and migrations", async () => {
    expect(await checkMigrations({ postgresServerUrl: process.env.DNO_TEST_POSTGRES_URL })).toEqual([]);
  });

  it("derives the PostgreSQL schema by swapping only provider and output", () => {
    const sqlite = fs.readFileSync(path.join(repoRoot(), "prisma", "schema.prisma"), "utf8");
    const derived = derivePostgresSchema(sqlite);
    expect(derived).toContain('provider = "postgresql"');
    expect(derived).toContain("../../server/db/generated/prisma-postgres");
    const derivedLines = derived.slice(derived.indexOf(sqlite.slice(0, 40))).split("\n");
    const sqliteLines = sqlite.split("\n");
    expect(derivedLines).toHaveLength(sqliteLines.length);
    const differing = sqliteLines.filter((line, index) => line !== derivedLines[index]);
    expect(differing.map((line) => line.trim().split(/\s+/)[0])).toEqual(["output", "provider"]);
  });

  it("detects a model that no migration creates (a forgotten migration fails the check)", async () => {
    const root = temporaryDir();
    fs.cpSync(path.join(repoRoot(), "prisma"), path.join(root, "prisma"), {
      recursive: true,
      filter: (source) => !source.endsWith(".ts"),
    });
    const schemaPath = path.join(root, "prisma", "schema.prisma");
    fs.appendFileSync(schemaPath, "\nmodel Tag {\n  id   String @id\n  name String\n}\n");

    const diff = await diffMigrationsToSchema("sqlite", { root });
    expect(diff.hasChanges).toBe(true);
    expect(diff.script).toContain('CREATE TABLE "Tag"');

    const problems = await checkMigrations({ root });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain("prisma/postgresql/schema.prisma is out of date");
    expect(problems[1]).toContain('CREATE TABLE "Tag"');
  });
});

describe("migration folder names", () => {
  it("are UTC timestamps with a snake_case name, strictly increasing", () => {
    const now = new Date("2026-11-28T17:40:02.500Z");
    expect(nextMigrationFolderName([], "Add run tags!", now)).toBe("20261128174002_add_run_tags");
    expect(nextMigrationFolderName(["20261128174002_init"], "next", now)).toBe("20261128174003_next");
    expect(() => nextMigrationFolderName([], "!!!", now)).toThrow(/no letters or digits/);
  });
});
