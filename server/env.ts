/**
 * The server's environment, validated once in one place (create-t3-app's env.js idea). Every server module
 * reads configuration through getEnv(); a bad value fails with the variable's name and what it accepts.
 */
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { DEFAULT_DATABASE_URL, resolveDatabaseTarget } from "./db/database-url";
import { repoRoot } from "./db/repo-root";
import { DEFAULT_MAX_BODY_BYTES } from "./http/body-limit";

/** An unset variable and an empty one mean the same: use the default. */
function unsetIfEmpty<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === "" ? undefined : value), schema);
}
const optionalString = unsetIfEmpty(z.string().optional());
/** A whole number of bytes, at least 1 KiB. */
const byteLimit = (fallback: number) =>
  unsetIfEmpty(z.coerce.number().int().min(1024).max(Number.MAX_SAFE_INTEGER).default(fallback));
const optionalPositiveInt = unsetIfEmpty(z.coerce.number().int().min(1).optional());

const envSchema = z.object({
  DATABASE_URL: unsetIfEmpty(z.string().default(DEFAULT_DATABASE_URL)).refine(
    (url) => /^(file:|postgres:\/\/|postgresql:\/\/)/.test(url),
    { message: "must start with file: (SQLite) or postgresql:// (PostgreSQL)" },
  ),
  DNO_DATA_DIR: optionalString,
  MODELS_DIR: optionalString,
  ORT_EXECUTION_PROVIDER: unsetIfEmpty(z.enum(["cpu", "cuda", "webgpu", "auto"]).default("cpu")),
  // 0 lets ONNX Runtime choose (one thread per physical core), as server/onnx/config.ts documents.
  ORT_THREADS: unsetIfEmpty(z.coerce.number().int().min(0).max(1024).optional()),
  // Bounds on model files and ONNX calls (server/onnx/config.ts reads them; validated here with the rest).
  ORT_MAX_MODEL_BYTES: optionalPositiveInt,
  ORT_LOAD_TIMEOUT_MS: optionalPositiveInt,
  ORT_RUN_TIMEOUT_MS: optionalPositiveInt,
  // The embedded worker (server/worker/worker-config.ts reads them): in a supervised child process or in
  // this one, and how long a cancelled run may take before its stuck child is killed.
  DNO_WORKER_MODE: unsetIfEmpty(z.enum(["child", "inprocess"]).optional()),
  DNO_WORKER_KILL_AFTER_MS: unsetIfEmpty(z.coerce.number().int().min(100).max(600_000).optional()),
  NODE_ENV: unsetIfEmpty(z.enum(["development", "test", "production"]).default("development")),
  // Serving (server/http/): the interface `npm start`/`npm run dev` listen on, the Host names answered,
  // and the largest request body accepted (uploads have their own limit).
  HOST: optionalString,
  ALLOWED_HOSTS: optionalString,
  MAX_BODY_BYTES: byteLimit(DEFAULT_MAX_BODY_BYTES),
  // Untrusted JSON (server/json/): the largest workflow file an import accepts, and the deepest nesting
  // of objects/arrays in any JSON that comes from outside (a workflow needs about 8 levels).
  MAX_IMPORT_BYTES: byteLimit(1024 * 1024),
  MAX_JSON_DEPTH: unsetIfEmpty(z.coerce.number().int().min(8).max(1000).default(64)),
  // Uploads (app/api/uploads): the largest model .zip, its unpacked size, and the largest ONNX scorer.
  MAX_UPLOAD_BYTES: byteLimit(512 * 1024 * 1024),
  MAX_UNZIPPED_MODEL_BYTES: byteLimit(4 * 1024 * 1024 * 1024),
  MAX_SCORER_UPLOAD_BYTES: byteLimit(64 * 1024 * 1024),
});

export interface ServerEnv {
  databaseUrl: string;
  /** Absolute folder for the SQLite file, artifacts and caches. */
  dataDir: string;
  /** Absolute folder holding model folders (diffusers ONNX layout). */
  modelsDir: string;
  ortExecutionProvider: "cpu" | "cuda" | "webgpu" | "auto";
  /** Intra-op threads for ONNX Runtime; undefined lets the runtime decide. */
  ortThreads: number | undefined;
  nodeEnv: "development" | "test" | "production";
  /** Interface to listen on (scripts/start.mjs passes it to next); undefined means 127.0.0.1. */
  host: string | undefined;
  /** Host names the server answers to, besides the loopback names and HOST (server/http/host-allow-list.ts). */
  allowedHosts: string | undefined;
  /** Largest request body in bytes outside the upload route (413 beyond it). */
  maxBodyBytes: number;
  /** Largest workflow file an import accepts, in bytes. */
  maxImportBytes: number;
  /** Deepest nesting of objects and arrays in JSON from outside. */
  maxJsonDepth: number;
  /** Largest uploaded model .zip, in bytes. */
  maxUploadBytes: number;
  /** Largest total unpacked size of an uploaded model .zip (zip bombs), in bytes. */
  maxUnzippedModelBytes: number;
  /** Largest uploaded ONNX scoring model, in bytes. */
  maxScorerUploadBytes: number;
}

export class EnvironmentError extends Error {
  override name = "EnvironmentError";
}

/** Parses process.env (or the given record). Cheap enough to call per use, so tests may change variables. */
export function getEnv(source: Record<string, string | undefined> = process.env): ServerEnv {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new EnvironmentError(`Invalid environment variables:\n${lines.join("\n")}`);
  }
  const root = repoRoot();
  const values = parsed.data;
  return {
    databaseUrl: values.DATABASE_URL,
    dataDir: path.resolve(root, values.DNO_DATA_DIR ?? "data"),
    modelsDir: path.resolve(root, values.MODELS_DIR ?? "models"),
    ortExecutionProvider: values.ORT_EXECUTION_PROVIDER,
    ortThreads: values.ORT_THREADS,
    nodeEnv: values.NODE_ENV,
    host: values.HOST,
    allowedHosts: values.ALLOWED_HOSTS,
    maxBodyBytes: values.MAX_BODY_BYTES,
    maxImportBytes: values.MAX_IMPORT_BYTES,
    maxJsonDepth: values.MAX_JSON_DEPTH,
    maxUploadBytes: values.MAX_UPLOAD_BYTES,
    maxUnzippedModelBytes: values.MAX_UNZIPPED_MODEL_BYTES,
    maxScorerUploadBytes: values.MAX_SCORER_UPLOAD_BYTES,
  };
}

/** DATABASE_URL, with the SQLite file's folder created so that a fresh checkout just works. */
export function databaseUrl(source: Record<string, string | undefined> = process.env): string {
  const url = getEnv(source).databaseUrl;
  const target = resolveDatabaseTarget(url);
  if (target.provider === "sqlite")
    fs.mkdirSync(/* turbopackIgnore: true */ path.dirname(target.filePath), { recursive: true });
  return url;
}

/** The data folder, created on first use. */
export function dataDir(source: Record<string, string | undefined> = process.env): string {
  const dir = getEnv(source).dataDir;
  fs.mkdirSync(/* turbopackIgnore: true */ dir, { recursive: true });
  return dir;
}
