/** Worker settings: the child-process mode is the default, and bad values are named. */
import { describe, expect, it } from "vitest";
import { workerConfig } from "./worker-config";

describe("worker settings", () => {
  it("run the embedded worker in a supervised child by default, killing a stuck child after 5 s", () => {
    const config = workerConfig({});
    expect(config.mode).toBe("child");
    expect(config.killAfterMs).toBe(5000);
    expect(workerConfig({ DNO_WORKER_MODE: "inprocess", DNO_WORKER_KILL_AFTER_MS: "800" })).toMatchObject({
      mode: "inprocess",
      killAfterMs: 800,
    });
  });

  it("name the device after the configured provider (the worker replaces it with the resolved adapter)", () => {
    expect(workerConfig({}).device).toBe("cpu");
    expect(workerConfig({ ORT_EXECUTION_PROVIDER: "webgpu" }).device).toBe("webgpu");
    expect(workerConfig({ ORT_EXECUTION_PROVIDER: "cuda" }).device).toBe("cuda:0");
  });

  it("name a bad DNO_WORKER_MODE or DNO_WORKER_KILL_AFTER_MS", () => {
    expect(() => workerConfig({ DNO_WORKER_MODE: "thread" })).toThrow(/DNO_WORKER_MODE/);
    expect(() => workerConfig({ DNO_WORKER_KILL_AFTER_MS: "5 s" })).toThrow(/DNO_WORKER_KILL_AFTER_MS/);
  });

  it("take runs from pg-boss on PostgreSQL and from the Run table on SQLite, unless DNO_QUEUE says otherwise", () => {
    expect(workerConfig({}).queue).toBe("embedded");
    expect(workerConfig({ DATABASE_URL: "postgresql://dno@db/dno" }).queue).toBe("pg-boss");
    expect(workerConfig({ DATABASE_URL: "postgresql://dno@db/dno", DNO_QUEUE: "embedded" }).queue).toBe(
      "embedded",
    );
    expect(() => workerConfig({ DNO_QUEUE: "bullmq" })).toThrow(/DNO_QUEUE/);
  });

  it("hold leases for 30 s renewed every 5 s, three claims at most; a heartbeat must fit twice in a lease", () => {
    expect(workerConfig({})).toMatchObject({
      leaseMs: 30_000,
      heartbeatMs: 5000,
      maxAttempts: 3,
      concurrency: 1,
    });
    // A short lease alone brings the heartbeat down with it.
    expect(workerConfig({ DNO_WORKER_LEASE_MS: "1500" }).heartbeatMs).toBe(500);
    expect(() => workerConfig({ DNO_WORKER_LEASE_MS: "1000", DNO_WORKER_HEARTBEAT_MS: "800" })).toThrow(
      /DNO_WORKER_HEARTBEAT_MS: must be at most half of DNO_WORKER_LEASE_MS/,
    );
    expect(() => workerConfig({ DNO_WORKER_MAX_ATTEMPTS: "0" })).toThrow(/DNO_WORKER_MAX_ATTEMPTS/);
    expect(() => workerConfig({ DNO_WORKER_CONCURRENCY: "two" })).toThrow(/DNO_WORKER_CONCURRENCY/);
  });
});
