/**
 * The deployment docs and examples cannot drift from the settings: every DNO Studio variable they name
 * (docs/DEPLOYMENT.md, deploy/*, the README's "Running a cluster") exists in the validated schemas
 * (server/env.ts, server/auth/auth-env.ts), and every variable the examples hand to a process is either
 * DNO Studio's or listed below as another program's.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./db/repo-root";
import { DEFAULT_ONNX_LIMITS } from "./onnx/config";
import { WORKER_DRAIN_TIMEOUT_MS } from "./worker/start-worker";
import { silentLimitMs } from "./worker/worker-supervisor";

const root = repoRoot();
const read = (file: string) => fs.readFileSync(path.join(root, file), "utf8");

/** The keys of the zod schemas, read from their source (`  NAME: …` lines). */
function schemaNames(): Set<string> {
  const names = new Set<string>();
  for (const file of ["server/env.ts", "server/auth/auth-env.ts"]) {
    for (const match of read(file).matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)) names.add(match[1] ?? "");
  }
  return names;
}

/** Names in DNO Studio's own namespaces, wherever they appear in a text (wildcards like DNO_S3_* skipped). */
function appNames(text: string): string[] {
  const found = text.match(
    /\b(?:(?:DNO|ORT|MAX|SMTP|BETTER_AUTH|DATABASE|ALLOWED|MODELS)_[A-Z0-9_]*[A-Z0-9]|HOST|NODE_ENV)\b/g,
  );
  return [...new Set(found ?? [])];
}

/** Variables the examples set: compose `KEY: value` keys, env-file `KEY=value` lines, systemd `Environment=KEY=`. */
function assignedNames(file: string, text: string): string[] {
  const pattern = file.endsWith(".yaml")
    ? /^\s+([A-Z][A-Z0-9_]+):/gm
    : file.endsWith(".service")
      ? /^Environment=([A-Z][A-Z0-9_]+)=/gm
      : /^#?\s*([A-Z][A-Z0-9_]+)=/gm;
  return [...text.matchAll(pattern)].map((match) => match[1] ?? "");
}

/** Other programs' variables the examples set, and who reads them. */
const OTHER_PROGRAMS: Record<string, string> = {
  POSTGRES_USER: "the postgres image",
  POSTGRES_PASSWORD: "the postgres image and compose interpolation",
  POSTGRES_DB: "the postgres image",
  MINIO_ROOT_USER: "the minio image",
  MINIO_ROOT_PASSWORD: "the minio image",
  STUDIO_SECRET: "the minio-init script",
  NVIDIA_DRIVER_CAPABILITIES: "the NVIDIA Container Toolkit",
  CUDA_VISIBLE_DEVICES: "the CUDA runtime",
  PUBLIC_HOST: "compose interpolation (deploy/.env)",
  PUBLIC_URL: "compose interpolation (deploy/.env)",
  PUBLIC_PORT: "compose interpolation (deploy/.env)",
};

function readmeClusterSection(): string {
  const readme = read("README.md");
  const start = readme.indexOf("## Running a cluster");
  if (start < 0) return "";
  const next = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, next < 0 ? undefined : next);
}

const DEPLOY_FILES = [
  "docs/DEPLOYMENT.md",
  "deploy/compose.yaml",
  "deploy/compose.env.example",
  "deploy/dno.env.example",
  "deploy/nginx.conf",
  "deploy/Dockerfile",
  "deploy/systemd/dno-web.service",
  "deploy/systemd/dno-worker@.service",
];

describe("deployment docs and examples name only real settings", () => {
  const known = schemaNames();

  it("reads the schemas (the check itself works)", () => {
    for (const name of ["DATABASE_URL", "DNO_S3_BUCKET", "DNO_QUEUE", "BETTER_AUTH_SECRET", "HOST"]) {
      expect(known).toContain(name);
    }
    expect(known).not.toContain("DNO_NOT_A_SETTING");
    expect(appNames("set `DNO_NOT_A_SETTING` and DNO_S3_* and HOST")).toEqual(["DNO_NOT_A_SETTING", "HOST"]);
  });

  it.each(DEPLOY_FILES)("%s", (file) => {
    const text = read(file);
    const unknown = appNames(text).filter((name) => !known.has(name));
    expect(unknown, `${file} names settings that server/env.ts does not define`).toEqual([]);
    const foreign = assignedNames(file, text).filter((name) => !known.has(name) && !(name in OTHER_PROGRAMS));
    expect(foreign, `${file} sets variables nobody reads`).toEqual([]);
  });

  it("the README's Running a cluster section", () => {
    const section = readmeClusterSection();
    expect(section, "README.md has a “## Running a cluster” section").not.toBe("");
    expect(appNames(section).filter((name) => !known.has(name))).toEqual([]);
  });
});

/** A systemd time span ("720", "12min", "1h 30s") or a compose duration ("12m", "1m30s") in ms. */
function durationMs(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 };
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  let total = 0;
  let matched = "";
  for (const match of trimmed.matchAll(/(\d+(?:\.\d+)?)\s*(ms|sec|min|s|m|h)/g)) {
    total += Number(match[1]) * (units[match[2] ?? ""] ?? Number.NaN);
    matched += match[0];
  }
  if (matched.replace(/\s/g, "") !== trimmed.replace(/\s/g, "")) return Number.NaN;
  return total;
}

describe("deployment stop timeouts cover the worker's own stop bound", () => {
  // What `npm run worker` waits at SIGTERM with the default ONNX limits (main.ts: the drain time plus the
  // supervisor's silence limit), plus a little for closing the event bridge and the queue afterwards.
  const boundMs = WORKER_DRAIN_TIMEOUT_MS + silentLimitMs(DEFAULT_ONNX_LIMITS) + 10_000;

  it("reads durations the way systemd and compose write them", () => {
    expect(durationMs("720")).toBe(720_000);
    expect(durationMs("12min")).toBe(720_000);
    expect(durationMs("12m")).toBe(720_000);
    expect(durationMs("1m30s")).toBe(90_000);
    expect(durationMs("soon")).toBeNaN();
    expect(boundMs).toBeGreaterThan(600_000);
  });

  it("systemd's TimeoutStopSec for dno-worker@", () => {
    const value = /^TimeoutStopSec=(.+)$/m.exec(read("deploy/systemd/dno-worker@.service"))?.[1] ?? "";
    expect(durationMs(value)).toBeGreaterThanOrEqual(boundMs);
  });

  it("compose's stop_grace_period for the workers", () => {
    const compose = read("deploy/compose.yaml");
    const values = [...compose.matchAll(/^\s+stop_grace_period:\s*(\S+)/gm)].map((match) => match[1] ?? "");
    expect(values.length).toBeGreaterThan(0);
    for (const value of values) expect(durationMs(value)).toBeGreaterThanOrEqual(boundMs);
  });
});
