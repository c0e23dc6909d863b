// `npm test`: every test of the project — unit and service tests (Vitest, real SQLite files, real
// onnxruntime-node), then the end-to-end tests (Playwright driving the production build in Chromium).
// Prints one closing line "N passed, N failed" summing both suites.
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { root, run, step } from "./lib.mjs";

const args = new Set(process.argv.slice(2));
const only = args.has("--unit") ? "unit" : args.has("--e2e") ? "e2e" : "all";

run("node", ["scripts/setup.mjs"]);

if (only !== "unit" && !existsSync("/usr/bin/chromium")) {
  step("Installing Chromium from Debian for the browser tests");
  if (process.getuid?.() !== 0) {
    console.error("✖ /usr/bin/chromium is missing. Install it with: sudo apt-get install -y chromium");
    process.exit(1);
  }
  run("apt-get", ["update", "-q"]);
  run("apt-get", ["install", "-y", "-q", "chromium"], { hint: "apt-get could not install chromium." });
}

const reports = path.join(root, "test-results");
mkdirSync(reports, { recursive: true });
const totals = { passed: 0, failed: 0, skipped: 0 };
let failedSuites = 0;
/** Names of failed tests, repeated under the closing line so a log's tail says what to look at. */
const failedNames = [];
/** Tests that failed once and passed on CI's retry (vitest.config.ts): reported so they get fixed. */
const flakyNames = [];

if (only !== "e2e") {
  step("Unit and service tests (vitest)");
  const out = path.join(reports, "vitest.json");
  rmSync(out, { force: true });
  const status = run(
    "npx",
    ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile=${out}`],
    {
      allowFailure: true,
    },
  );
  if (status !== 0) failedSuites++;
  if (existsSync(out)) {
    const report = JSON.parse(readFileSync(out, "utf8"));
    totals.passed += report.numPassedTests ?? 0;
    totals.failed += (report.numFailedTests ?? 0) + (status !== 0 && !report.numFailedTests ? 1 : 0);
    totals.skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    for (const file of report.testResults ?? []) {
      const where = path.relative(root, file.name);
      let failures = 0;
      for (const test of file.assertionResults ?? []) {
        const messages = test.failureMessages ?? [];
        const line = `${where} › ${test.fullName ?? test.title}: ${firstLine(messages[0])}`;
        if (test.status === "failed") {
          failures++;
          failedNames.push(line);
        } else if (test.status === "passed" && messages.length > 0) {
          // A passed test with failure messages failed first and passed on its retry.
          flakyNames.push(line);
        }
      }
      if (failures === 0 && file.status === "failed") {
        failedNames.push(`${where} (the file failed: ${firstLine(file.message)})`);
      }
    }
  } else if (status !== 0) {
    totals.failed++;
  }
}

if (only !== "unit") {
  step("Building the app for the end-to-end tests (next build)");
  run("npx", ["next", "build"], { hint: "Run `npm run typecheck` to see type errors." });
  step("End-to-end tests (Playwright, Chromium)");
  const out = path.join(reports, "playwright.json");
  rmSync(out, { force: true });
  const status = run("npx", ["playwright", "test", "--reporter=list,json"], {
    allowFailure: true,
    env: { PLAYWRIGHT_JSON_OUTPUT_NAME: out, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: "1" },
  });
  if (status !== 0) failedSuites++;
  if (existsSync(out)) {
    const stats = JSON.parse(readFileSync(out, "utf8")).stats ?? {};
    totals.passed += stats.expected ?? 0;
    totals.failed +=
      (stats.unexpected ?? 0) + (stats.flaky ?? 0) + (status !== 0 && !stats.unexpected ? 1 : 0);
    totals.skipped += stats.skipped ?? 0;
    collectPlaywrightFailures(JSON.parse(readFileSync(out, "utf8")).suites ?? [], failedNames);
  } else if (status !== 0) {
    totals.failed++;
  }
}

console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
for (const name of failedNames) console.log(`  ✖ ${name}`);
if (flakyNames.length > 0) {
  console.log(`${flakyNames.length} passed only when retried (flaky; fix them):`);
  for (const name of flakyNames) console.log(`  ⚠ ${name}`);
}
process.exit(failedSuites > 0 || totals.failed > 0 ? 1 : 0);

function firstLine(text) {
  return String(text ?? "")
    .split("\n")[0]
    .slice(0, 200);
}

/** Walks Playwright's JSON report (suites nest) and names each test whose outcome was not expected. */
function collectPlaywrightFailures(suites, names) {
  for (const suite of suites) {
    for (const spec of suite.specs ?? []) {
      for (const test of spec.tests ?? []) {
        if (test.status === "unexpected" || test.status === "flaky") {
          names.push(`${spec.file} › ${spec.title} (${test.status})`);
        }
      }
    }
    collectPlaywrightFailures(suite.suites ?? [], names);
  }
}
