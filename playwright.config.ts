/**
 * End-to-end tests: Debian's Chromium drives the PRODUCTION build (`next start`), which `npm test` builds
 * first. The e2e database is deleted right before the server starts (e2e/reset-e2e-db.mjs, part of the
 * webServer command, because Playwright starts the webServer before any globalSetup), so the server's
 * start-up migrates a fresh one — the same code path a fresh install takes. The "setup" project then creates
 * the owner account through the real /setup page (e2e/auth.setup.ts), and every spec runs signed in as it.
 */
import path from "node:path";
import { defineConfig } from "@playwright/test";
import { OWNER_STATE_FILE } from "./e2e/accounts";

process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = "1";

const PORT = Number(process.env.E2E_PORT ?? 3100);
const root = import.meta.dirname;
export const E2E_DATABASE_FILE = path.join(root, "data", "e2e.db");

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export default defineConfig({
  testDir: "./e2e",
  testMatch: "**/*.spec.ts",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? "list" : [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    viewport: { width: 1440, height: 900 },
    acceptDownloads: true,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: CHROMIUM_ARGS,
    },
  },
  projects: [
    // Creates the owner account on /setup and saves its signed-in state: every spec runs signed in.
    { name: "setup", testMatch: /auth\.setup\.ts$/, use: { browserName: "chromium" } },
    {
      name: "chromium",
      testIgnore: /cluster-.*\.spec\.ts$/,
      use: { browserName: "chromium", storageState: OWNER_STATE_FILE },
      dependencies: ["setup"],
    },
    // No browser: starts its own PostgreSQL database, S3 server, `next start` and worker processes
    // (server/cluster/testing/cluster.ts); the webServer below is not used by it.
    { name: "cluster", testMatch: /cluster-.*\.spec\.ts$/ },
  ],
  webServer: {
    command: `node e2e/reset-e2e-db.mjs "${E2E_DATABASE_FILE}" && npx next start -p ${PORT}`,
    url: `http://127.0.0.1:${PORT}/`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      DATABASE_URL: `file:${E2E_DATABASE_FILE}`,
      NEXT_TELEMETRY_DISABLED: "1",
      // The browser, the server and its worker share CI's 2 cores: one ONNX Runtime thread (as the tests
      // were timed), not every core (ORT_THREADS=auto).
      ORT_THREADS: process.env.ORT_THREADS ?? "1",
      NODE_ENV: "production",
    },
  },
});
