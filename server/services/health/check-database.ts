/**
 * Readiness of the database for health endpoints: reachable, and every migration this build ships applied
 * (a web server or worker of a newer build must not take traffic on an older schema). Two small queries;
 * the shipped migration names are read from prisma/ once per process.
 */
import fs from "node:fs";
import { providerLayout } from "../../../prisma/migration-runner";
import type { DbClient } from "../../db/client";
import type { DatabaseProvider } from "../../db/database-url";

export type DatabaseCheck = "ok" | "unreachable" | "not-migrated";

const shipped = new Map<DatabaseProvider, string[]>();

function shippedMigrations(provider: DatabaseProvider): string[] {
  let names = shipped.get(provider);
  if (!names) {
    const dir = providerLayout(provider).migrationsDir;
    names = fs
      .readdirSync(/* turbopackIgnore: true */ dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    shipped.set(provider, names);
  }
  return names;
}

/** Resolves within `timeoutMs` (a database that does not answer counts as unreachable). */
export async function checkDatabase(
  db: DbClient,
  provider: DatabaseProvider,
  timeoutMs = 3000,
): Promise<DatabaseCheck> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<DatabaseCheck>((resolve) => {
    timer = setTimeout(() => resolve("unreachable"), timeoutMs);
  });
  try {
    return await Promise.race([probe(db, provider), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function probe(db: DbClient, provider: DatabaseProvider): Promise<DatabaseCheck> {
  try {
    await db.$queryRawUnsafe("SELECT 1");
  } catch {
    return "unreachable";
  }
  try {
    const applied = await db.$queryRawUnsafe<{ migration_name: string }[]>(
      "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL",
    );
    const names = new Set(applied.map((row) => row.migration_name));
    return shippedMigrations(provider).every((name) => names.has(name)) ? "ok" : "not-migrated";
  } catch {
    // Reachable, but no migrations table: never migrated.
    return "not-migrated";
  }
}
