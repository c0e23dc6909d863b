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
    // Two test processes at a time on CI's 2 cores: one ONNX Runtime thread each (ORT_THREADS=auto would take
    // every core per process, and its spinning threads would contend).
    env: { ORT_THREADS: process.env.ORT_THREADS ?? "1" },
    // CI (2 shared cores) retries a failed test once; `npm test` names every test that passed only on its retry
    // (scripts/test.mjs), so flakiness is reported, not hidden. A test that fails twice fails the run.
    retry: process.env.CI ? 1 : 0,
  },
});
