/**
 * Chaos test of the cluster (issue 13): a throwaway PostgreSQL database, a local S3 server, the production
 * web server (`next start` of the build `npm test` makes) and three worker processes sharing nothing else;
 * two accounts submit 30 small runs through the API while a random worker is SIGKILLed every few seconds and
 * a fresh one started. All runs must succeed — none lost, none finished twice, one step per iteration,
 * every step bit-identical to the run executed uninterrupted in one process — and the progress streams must
 * deliver every iteration. The scenario and its rules are server/cluster/testing/chaos.ts; it runs under
 * tsx in a child process (Playwright's loader cannot import the app's JSON modules), and this spec checks
 * its report. No browser: its own project ("cluster"). Skipped only when DNO_TEST_POSTGRES_URL is unset.
 */
import { spawn } from "node:child_process";
import { expect, test } from "@playwright/test";

const serverUrl = process.env.DNO_TEST_POSTGRES_URL;

interface ChaosReport {
  seed: number;
  runs: number;
  succeeded: number;
  kills: number;
  resumedRuns: number;
  watchedStreams: number;
  completeStreams: number;
  comparedRuns: number;
  seconds: number;
  problems: string[];
}

test.skip(!serverUrl, "DNO_TEST_POSTGRES_URL is unset: the cluster needs a PostgreSQL server (CI sets it).");

test("30 runs from two accounts survive workers killed at random: none lost, none twice, bit-identical", async () => {
  test.setTimeout(330_000);
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "server/cluster/testing/chaos-main.ts", "--web", "next"],
    { cwd: process.cwd(), env: process.env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  // The scenario's progress (and, on failure, the processes' last lines) go to this test's output.
  child.stderr.on("data", (chunk: Buffer) => process.stdout.write(chunk));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  const last = stdout.trim().split("\n").at(-1) ?? "";
  let report: ChaosReport;
  try {
    report = JSON.parse(last) as ChaosReport;
  } catch {
    throw new Error(`The chaos scenario exited ${code} without a report:\n${stdout.slice(-2000)}`);
  }
  console.log(`chaos report: ${last}`);
  expect(report.problems, `chaos seed ${report.seed}`).toEqual([]);
  expect(report.succeeded).toBe(report.runs);
  expect(report.runs).toBe(30);
  expect(report.kills).toBeGreaterThanOrEqual(3);
  expect(report.resumedRuns).toBeGreaterThan(0);
  expect(report.completeStreams).toBe(report.watchedStreams);
  expect(report.comparedRuns).toBe(report.runs);
  expect(code).toBe(0);
});
