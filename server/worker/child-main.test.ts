/**
 * The supervised worker's child on its own: a child whose supervising process went away while it was still
 * starting (its IPC channel closed before it listened for that) stops by itself instead of running on.
 */
import { fork } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../services/test-database";

let database: TestDatabase;
let dataDir: string;

beforeAll(async () => {
  database = await createTestDatabase();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "dno-child-main-"));
});
afterAll(async () => {
  await database.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("the worker's child process", () => {
  it("stops by itself when its supervisor is gone before it finished starting", async () => {
    const child = fork(path.join(import.meta.dirname, "child-main.ts"), [], {
      execArgv: ["--import", "tsx"],
      env: {
        ...process.env,
        DATABASE_URL: database.url,
        DNO_DATA_DIR: dataDir,
        DNO_WORKER_ID: "orphan-at-start",
        DNO_EMBEDDED_WORKER: "0",
      },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    // The supervisor goes away at once: the child is still loading its modules.
    child.disconnect();
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<"still running">((resolve) => {
      timer = setTimeout(() => resolve("still running"), 60_000);
    });
    const outcome = await Promise.race([exited, gaveUp]);
    clearTimeout(timer);
    if (outcome === "still running") child.kill("SIGKILL");
    expect({ outcome, output }).toMatchObject({ outcome: 0 });
    expect(output).toContain("its supervising process is gone");
  }, 90_000);
});
