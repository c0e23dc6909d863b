/**
 * A fresh, empty PostgreSQL database for one test file (or one cluster harness), dropped afterwards.
 * Tests that run against PostgreSQL get DNO_TEST_POSTGRES_URL (a server where the user may create
 * databases, e.g. postgresql://dno:dno@127.0.0.1:5432/postgres) and skip without it.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";

export interface ThrowawayPostgres {
  /** The new database's name (unique per call). */
  name: string;
  /** The server URL with the new database as its path. */
  url: string;
  /** A connection to the server (not to the new database), for maintenance queries such as terminating backends. */
  admin: pg.Client;
  /** Drops the database (open connections are closed by FORCE) and disconnects; safe to call twice. */
  drop(): Promise<void>;
}

/** DNO_TEST_POSTGRES_URL, or undefined when the PostgreSQL tests should skip. */
export const testPostgresServerUrl: string | undefined = process.env.DNO_TEST_POSTGRES_URL || undefined;

export async function createThrowawayPostgres(
  serverUrl: string,
  prefix = "dno_test",
): Promise<ThrowawayPostgres> {
  if (!/^[a-z_][a-z0-9_]*$/.test(prefix))
    throw new Error(`database name prefix "${prefix}" is not a plain name`);
  const name = `${prefix}_${randomUUID().replaceAll("-", "")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } catch (error) {
    await admin.end().catch(() => undefined);
    throw error;
  }
  const parsed = new URL(serverUrl);
  parsed.pathname = `/${name}`;
  let dropped = false;
  return {
    name,
    url: parsed.toString(),
    admin,
    async drop() {
      if (dropped) return;
      dropped = true;
      try {
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await admin.end().catch(() => undefined);
      }
    },
  };
}
