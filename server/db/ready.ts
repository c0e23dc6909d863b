/**
 * Makes the database usable: applies pending migrations, then seeds the example workflows each account is
 * missing (none before the first account exists: the owner gets them when the account is created).
 * Called at app start (instrumentation.ts), by `npm run db:seed` and by tests. Idempotent, and concurrent
 * calls in one process share one run per database URL.
 */
import { applyMigrations } from "../../prisma/migration-runner";
import { databaseUrl } from "../env";
import { seedExamplesForAllAccounts } from "../services/workflows/seed-example-workflows";
import { createDbClient, type DbClient, getDb } from "./client";
import { resolveDatabaseTarget } from "./database-url";

export interface DatabaseReadyReport {
  appliedMigrationNames: string[];
  seededExamples: string[];
}

export interface EnsureDatabaseReadyOptions {
  /** Defaults to DATABASE_URL (or the embedded SQLite file). */
  databaseUrl?: string;
  /** Client to seed through; defaults to the app's client for the default URL, or a new one. */
  db?: DbClient;
  /** Seed the example workflows of existing accounts (default true). */
  seed?: boolean;
}

interface ReadyHolder {
  dnoDatabaseReady?: Map<string, Promise<DatabaseReadyReport>>;
}

async function prepare(url: string, options: EnsureDatabaseReadyOptions): Promise<DatabaseReadyReport> {
  const { appliedMigrationNames } = await applyMigrations(url);
  const ownClient = !options.db && options.databaseUrl !== undefined;
  const db = options.db ?? (options.databaseUrl !== undefined ? createDbClient(url) : getDb());
  try {
    if (resolveDatabaseTarget(url).provider === "sqlite") {
      // Write-ahead logging lets the UI read while a run's worker writes iterations.
      await db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
    }
    const seededExamples = options.seed === false ? [] : (await seedExamplesForAllAccounts(db)).created;
    return { appliedMigrationNames, seededExamples };
  } finally {
    if (ownClient) await db.$disconnect();
  }
}

export function ensureDatabaseReady(options: EnsureDatabaseReadyOptions = {}): Promise<DatabaseReadyReport> {
  const url = options.databaseUrl ?? databaseUrl();
  const holder = globalThis as ReadyHolder;
  holder.dnoDatabaseReady ??= new Map();
  const key = `${url}\u0000${options.seed === false ? "no-seed" : "seed"}`;
  const running = holder.dnoDatabaseReady.get(key);
  if (running) return running;
  const promise = prepare(url, options);
  holder.dnoDatabaseReady.set(key, promise);
  // A failed attempt must not be cached: the next call tries again (e.g. after the user fixes DATABASE_URL).
  promise.catch(() => holder.dnoDatabaseReady?.delete(key));
  return promise;
}
