import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    include: ["**/*.test.ts", "**/*.test.tsx"],
    exclude: ["node_modules/**", ".next/**", "e2e/**"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    maxWorkers: 2,
    // CI (2 shared cores) retries a failed test once; `npm test` names every test that passed only on its retry
    // (scripts/test.mjs), so flakiness is reported, not hidden. A test that fails twice fails the run.
    retry: process.env.CI ? 1 : 0,
  },
});
