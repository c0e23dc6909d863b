/**
 * A worker process's health server (DNO_WORKER_HEALTH_PORT) over real HTTP, on a real SQLite database: /live
 * answers; /ready follows the worker's row — not registered yet, registered with a recent heartbeat, a
 * heartbeat older than the lease, stopped — and a port already in use is refused with a sentence.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../services/test-database";
import { startWorkerHealthServer, type WorkerHealthServer } from "./worker-health-server";

let database: TestDatabase;
let server: WorkerHealthServer;
let workerId: string | null = null;

beforeAll(async () => {
  database = await createTestDatabase();
  server = await startWorkerHealthServer({
    port: 0,
    host: "127.0.0.1",
    workerId: () => workerId,
    staleAfterMs: 30_000,
    db: database.db,
    databaseUrl: database.url,
  });
});
afterAll(async () => {
  await server.close();
  await database.close();
});

async function get(pathname: string, method = "GET"): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`http://127.0.0.1:${server.port}${pathname}`, { method });
  return { status: response.status, body: await response.json() };
}

describe("the worker health server", () => {
  it("answers /live, refuses other paths and methods", async () => {
    expect(await get("/live")).toEqual({ status: 200, body: { status: "live" } });
    expect((await get("/metrics")).status).toBe(404);
    expect((await get("/ready", "POST")).status).toBe(405);
  });

  it("is ready only while registered, not stopped and with a recent heartbeat", async () => {
    const notReady = (worker: string) => ({
      status: 503,
      body: { status: "not-ready", checks: { worker, artifacts: "ok", events: "not-used" } },
    });
    expect(await get("/ready")).toEqual(notReady("not-registered"));
    workerId = "health-worker-1";
    expect(await get("/ready")).toEqual(notReady("not-registered"));
    await database.db.worker.create({
      data: { id: workerId, host: "gpu-1", pid: 123, device: "cpu", concurrency: 1 },
    });
    expect(await get("/ready")).toEqual({
      status: 200,
      body: { status: "ready", checks: { worker: "ok", artifacts: "ok", events: "not-used" } },
    });
    await database.db.worker.update({
      where: { id: workerId },
      data: { lastHeartbeatAt: new Date(Date.now() - 31_000) },
    });
    expect(await get("/ready")).toEqual(notReady("heartbeat-stale"));
    await database.db.worker.update({
      where: { id: workerId },
      data: { lastHeartbeatAt: new Date(), stoppedAt: new Date() },
    });
    expect(await get("/ready")).toEqual(notReady("stopped"));
  });

  it("says so when the port is taken", async () => {
    await expect(
      startWorkerHealthServer({
        port: server.port,
        host: "127.0.0.1",
        workerId: () => null,
        staleAfterMs: 1,
      }),
    ).rejects.toThrow(`The worker's health port ${server.port} is in use (DNO_WORKER_HEALTH_PORT)`);
  });
});
