import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_DATABASE_URL, redactPassword, resolveDatabaseTarget } from "./db/database-url";
import { repoRoot } from "./db/repo-root";
import { EnvironmentError, getEnv } from "./env";

describe("getEnv", () => {
  it("fills defaults relative to the repository root (empty values count as unset)", () => {
    const env = getEnv({ DATABASE_URL: "", ORT_THREADS: "" });
    expect(env).toMatchObject({
      databaseUrl: DEFAULT_DATABASE_URL,
      dataDir: path.join(repoRoot(), "data"),
      modelsDir: path.join(repoRoot(), "models"),
      ortExecutionProvider: "cpu",
      ortThreads: undefined,
      nodeEnv: "development",
    });
  });

  it("reads explicit values", () => {
    const env = getEnv({
      DATABASE_URL: "postgresql://u:p@db/app",
      DNO_DATA_DIR: "/srv/dno",
      MODELS_DIR: "weights",
      ORT_EXECUTION_PROVIDER: "cuda",
      ORT_THREADS: "4",
    });
    expect(env).toMatchObject({
      databaseUrl: "postgresql://u:p@db/app",
      dataDir: "/srv/dno",
      modelsDir: path.join(repoRoot(), "weights"),
      ortExecutionProvider: "cuda",
      ortThreads: 4,
    });
  });

  it("reads the serving variables: HOST, ALLOWED_HOSTS and MAX_BODY_BYTES (4 MiB by default)", () => {
    expect(getEnv({})).toMatchObject({
      host: undefined,
      allowedHosts: undefined,
      maxBodyBytes: 4 * 1024 * 1024,
    });
    expect(getEnv({ HOST: "0.0.0.0", ALLOWED_HOSTS: "studio.lan", MAX_BODY_BYTES: "65536" })).toMatchObject({
      host: "0.0.0.0",
      allowedHosts: "studio.lan",
      maxBodyBytes: 65536,
    });
    expect(() => getEnv({ MAX_BODY_BYTES: "lots" })).toThrow(/MAX_BODY_BYTES/);
  });

  it("names every bad variable and what it accepts", () => {
    let error: unknown;
    try {
      getEnv({ DATABASE_URL: "mysql://x", ORT_EXECUTION_PROVIDER: "tpu", ORT_THREADS: "-1" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(EnvironmentError);
    const message = (error as Error).message;
    expect(message).toContain("DATABASE_URL: must start with file: (SQLite) or postgresql:// (PostgreSQL)");
    expect(message).toContain("ORT_EXECUTION_PROVIDER");
    expect(message).toContain("ORT_THREADS");
  });

  it("validates the ONNX bounds: model size cap and load/run timeouts", () => {
    expect(() =>
      getEnv({ ORT_MAX_MODEL_BYTES: "8589934592", ORT_LOAD_TIMEOUT_MS: "", ORT_RUN_TIMEOUT_MS: "5" }),
    ).not.toThrow();
    let error: unknown;
    try {
      getEnv({ ORT_MAX_MODEL_BYTES: "big", ORT_LOAD_TIMEOUT_MS: "0", ORT_RUN_TIMEOUT_MS: "-3" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(EnvironmentError);
    for (const name of ["ORT_MAX_MODEL_BYTES", "ORT_LOAD_TIMEOUT_MS", "ORT_RUN_TIMEOUT_MS"]) {
      expect((error as Error).message).toContain(name);
    }
  });

  it("validates the embedded worker's mode and kill delay at start", () => {
    expect(() => getEnv({ DNO_WORKER_MODE: "inprocess", DNO_WORKER_KILL_AFTER_MS: "" })).not.toThrow();
    expect(() => getEnv({ DNO_WORKER_MODE: "thread" })).toThrow(/DNO_WORKER_MODE/);
    expect(() => getEnv({ DNO_WORKER_KILL_AFTER_MS: "5s" })).toThrow(/DNO_WORKER_KILL_AFTER_MS/);
  });
});

describe("resolveDatabaseTarget", () => {
  it("resolves relative SQLite paths from the repository root and keeps absolute ones", () => {
    expect(resolveDatabaseTarget("file:./data/x.db", "/repo")).toEqual({
      provider: "sqlite",
      url: "file:/repo/data/x.db",
      filePath: "/repo/data/x.db",
    });
    expect(resolveDatabaseTarget("file:/tmp/y.db?mode=rwc", "/repo")).toMatchObject({
      filePath: "/tmp/y.db",
    });
  });

  it("recognizes both PostgreSQL schemes and refuses others with a hint, hiding the password", () => {
    expect(resolveDatabaseTarget("postgres://a@b/c").provider).toBe("postgresql");
    expect(resolveDatabaseTarget("postgresql://a@b/c").provider).toBe("postgresql");
    expect(() => resolveDatabaseTarget("mysql://root:secret@db/app")).toThrow(
      'DATABASE_URL "mysql://root:***@db/app" is not supported: use file:<path> for SQLite or postgresql://… for PostgreSQL.',
    );
    expect(() => resolveDatabaseTarget("file:")).toThrow(/has no file path/);
    expect(redactPassword("postgresql://dno:hunter2@host:5432/db")).toBe("postgresql://dno:***@host:5432/db");
  });
});
