/**
 * The Prisma client for the configured database. Only server/services (and the start-up code in this folder)
 * may use it.
 *
 * Prisma Client 7 is generated per provider, so there are two generated clients with the same models: the
 * SQLite one (embedded default) and the PostgreSQL one (deployed database). Services are typed against the
 * SQLite client; both expose the same model API for the portable schema (String JSON columns, no enums).
 */
import fs from "node:fs";
import path from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { databaseUrl } from "../env";
import { resolveDatabaseTarget } from "./database-url";
import { type Prisma, PrismaClient } from "./generated/prisma/client";
import { PrismaClient as PostgresPrismaClient } from "./generated/prisma-postgres/client";

export type DbClient = PrismaClient;
export type DbTransaction = Prisma.TransactionClient;

/** Milliseconds a SQLite writer waits for another writer's lock before failing. */
const SQLITE_BUSY_TIMEOUT_MS = 10_000;

export function createDbClient(url: string): DbClient {
  const target = resolveDatabaseTarget(url);
  if (target.provider === "sqlite") {
    fs.mkdirSync(/* turbopackIgnore: true */ path.dirname(target.filePath), { recursive: true });
    return new PrismaClient({
      adapter: new PrismaBetterSqlite3({ url: target.url, timeout: SQLITE_BUSY_TIMEOUT_MS }),
    });
  }
  const client = new PostgresPrismaClient({ adapter: new PrismaPg({ connectionString: target.url }) });
  // Same models, same generated API; only the provider-specific query compiler differs.
  return client as unknown as DbClient;
}

interface DbHolder {
  dnoDb?: { url: string; client: DbClient };
}

/** The process-wide client; kept on globalThis so Next's hot reload does not open a new pool per edit. */
export function getDb(): DbClient {
  const holder = globalThis as DbHolder;
  const url = databaseUrl();
  if (!holder.dnoDb || holder.dnoDb.url !== url) {
    holder.dnoDb = { url, client: createDbClient(url) };
  }
  return holder.dnoDb.client;
}
