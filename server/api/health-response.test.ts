/**
 * The web server's health endpoints through their real route handlers (app/api/health/*), on a real SQLite
 * database (and PostgreSQL with its run-event bridge when DNO_TEST_POSTGRES_URL is set): live answers, ready
 * says which check fails — a database never migrated or missing one of this build's migrations, one that does
 * not answer, an artifact folder that cannot be written, a PostgreSQL web server whose bridge is not
 * listening — and never an address, a path or a secret.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createThrowawayPostgres, type ThrowawayPostgres } from "../db/testing/throwaway-postgres";
import { GET as live } from "@/app/api/health/live/route";
import { GET as ready } from "@/app/api/health/ready/route";
import { createDbClient } from "../db/client";
import { ensureDatabaseReady } from "../db/ready";
import { createTestDatabase, type TestDatabase } from "../services/test-database";
import { startRunEventBridge, stopRunEventBridge } from "../worker/run-event-bridge";
import { readyReport } from "./health-response";

let database: TestDatabase;
const savedUrl = process.env.DATABASE_URL;

beforeAll(async () => {
  database = await createTestDatabase();
  process.env.DATABASE_URL = database.url;
});
afterAll(async () => {
  await database.close();
  if (savedUrl === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = savedUrl;
});

describe("GET /api/health/live and /api/health/ready (SQLite)", () => {
  it("answers live, and ready when the database is migrated (no bridge needed on SQLite)", async () => {
    const liveResponse = live();
    expect(liveResponse.status).toBe(200);
    expect(liveResponse.headers.get("cache-control")).toBe("no-store");
    expect(await liveResponse.json()).toEqual({ status: "live" });
    const readyResponse = await ready();
    expect(readyResponse.status).toBe(200);
    expect(await readyResponse.json()).toEqual({
      status: "ready",
      checks: { database: "ok", artifacts: "ok", events: "not-used" },
    });
  });

  it("is not ready on a database never migrated, or missing one of this build's migrations", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dno-health-"));
    const url = `file:${path.join(dir, "empty.db")}`;
    const empty = createDbClient(url);
    try {
      expect(await readyReport({ db: empty, databaseUrl: url })).toEqual({
        status: "not-ready",
        checks: { database: "not-migrated", artifacts: "ok", events: "not-used" },
      });
      await ensureDatabaseReady({ databaseUrl: url, db: empty, seed: false });
      expect((await readyReport({ db: empty, databaseUrl: url })).status).toBe("ready");
      await empty.$executeRawUnsafe(
        "DELETE FROM _prisma_migrations WHERE migration_name = (SELECT max(migration_name) FROM _prisma_migrations)",
      );
      expect((await readyReport({ db: empty, databaseUrl: url })).checks.database).toBe("not-migrated");
    } finally {
      await empty.$disconnect();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("is not ready when the artifact folder cannot be written", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dno-health-"));
    const saved = process.env.DNO_DATA_DIR;
    // A data folder below a regular file: the artifacts folder cannot be created.
    fs.writeFileSync(path.join(dir, "file"), "");
    process.env.DNO_DATA_DIR = path.join(dir, "file", "data");
    try {
      const response = await ready();
      expect(response.status).toBe(503);
      const text = await response.text();
      expect(JSON.parse(text)).toEqual({
        status: "not-ready",
        checks: { database: "ok", artifacts: "unavailable", events: "not-used" },
      });
      expect(text).not.toContain(dir);
    } finally {
      if (saved === undefined) delete process.env.DNO_DATA_DIR;
      else process.env.DNO_DATA_DIR = saved;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("is not ready when the database does not answer, and the body names no address or password", async () => {
    const url = "postgresql://dno:secret-password@127.0.0.1:1/nowhere";
    const saved = process.env.DATABASE_URL;
    process.env.DATABASE_URL = url;
    try {
      // The route itself, against the process's client for DATABASE_URL.
      const response = await ready();
      expect(response.status).toBe(503);
      const text = await response.text();
      expect(JSON.parse(text)).toEqual({
        status: "not-ready",
        checks: { database: "unreachable", artifacts: "ok", events: "not-started" },
      });
      expect(text).not.toMatch(/127\.0\.0\.1|secret|nowhere|dno/);
    } finally {
      process.env.DATABASE_URL = saved;
    }
  });
});

const serverUrl = process.env.DNO_TEST_POSTGRES_URL;

describe.skipIf(!serverUrl)("GET /api/health/ready on PostgreSQL", () => {
  let database: ThrowawayPostgres;
  let url: string;

  beforeAll(async () => {
    database = await createThrowawayPostgres(serverUrl ?? "");
    url = database.url;
    await ensureDatabaseReady({ databaseUrl: url, seed: false });
  }, 60_000);
  afterAll(async () => {
    await stopRunEventBridge();
    await database?.drop();
  });

  it("is ready only while this process's run-event bridge listens", async () => {
    const saved = process.env.DATABASE_URL;
    process.env.DATABASE_URL = url;
    try {
      const before = await ready();
      expect(before.status).toBe(503);
      expect(await before.json()).toEqual({
        status: "not-ready",
        checks: { database: "ok", artifacts: "ok", events: "not-started" },
      });
      const bridge = startRunEventBridge();
      expect(await bridge?.waitUntilConnected()).toBe(true);
      const after = await ready();
      expect(after.status).toBe(200);
      expect(await after.json()).toEqual({
        status: "ready",
        checks: { database: "ok", artifacts: "ok", events: "connected" },
      });
      await database.admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'dno-run-events'",
        [database.name],
      );
      const deadline = Date.now() + 5000;
      while (bridge?.state === "connected" && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      const during = await ready();
      expect(during.status).toBe(503);
      expect(((await during.json()) as { checks: { events: string } }).checks.events).toBe("reconnecting");
      expect(await bridge?.waitUntilConnected()).toBe(true);
      expect((await ready()).status).toBe(200);
    } finally {
      process.env.DATABASE_URL = saved;
    }
  }, 60_000);
});
