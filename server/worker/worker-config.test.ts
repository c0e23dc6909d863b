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
});
