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
import { ortThreadsSchema } from "./onnx/config";

/** An unset variable and an empty one mean the same: use the default. */
function unsetIfEmpty<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === "" ? undefined : value), schema);
}
const optionalString = unsetIfEmpty(z.string().optional());
/** A whole number of bytes, at least 1 KiB. */
const byteLimit = (fallback: number) =>
  unsetIfEmpty(z.coerce.number().int().min(1024).max(Number.MAX_SAFE_INTEGER).default(fallback));
const optionalPositiveInt = unsetIfEmpty(z.coerce.number().int().min(1).optional());
/** true/false (also 1/0, yes/no), for switches. */
const booleanFlag = unsetIfEmpty(
  z
    .enum(["true", "false", "1", "0", "yes", "no"], { message: "must be true or false" })
    .transform((value) => value === "true" || value === "1" || value === "yes")
    .optional(),
);
/** The S3 service's URL: http(s), no credentials in it (they go in DNO_S3_ACCESS_KEY_ID/…), no query. */
const s3Endpoint = unsetIfEmpty(z.string().optional()).superRefine((value, ctx) => {
  if (value === undefined) return;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({
      code: "custom",
      message: "must be a URL such as http://minio:9000 or https://s3.example.com",
    });
    return;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    ctx.addIssue({ code: "custom", message: "must start with http:// or https:// (e.g. http://minio:9000)" });
  } else if (url.username || url.password) {
    // Never echo the value: it holds a secret.
    ctx.addIssue({
      code: "custom",
      message:
        "must not contain a user name or password; set DNO_S3_ACCESS_KEY_ID and DNO_S3_SECRET_ACCESS_KEY",
    });
  } else if (url.search || url.hash) {
    ctx.addIssue({
      code: "custom",
      message: "must be the service's address only, without ?query or #fragment",
    });
  }
});

const envSchema = z
  .object({
    DATABASE_URL: unsetIfEmpty(z.string().default(DEFAULT_DATABASE_URL)).refine(
      (url) => /^(file:|postgres:\/\/|postgresql:\/\/)/.test(url),
      { message: "must start with file: (SQLite) or postgresql:// (PostgreSQL)" },
    ),
    DNO_DATA_DIR: optionalString,
    MODELS_DIR: optionalString,
    ORT_EXECUTION_PROVIDER: unsetIfEmpty(z.enum(["cpu", "cuda", "webgpu", "auto"]).default("cpu")),
    // auto (default): every CPU; 0 lets ONNX Runtime choose, as server/onnx/config.ts documents.
    ORT_THREADS: unsetIfEmpty(ortThreadsSchema.optional()),
    // Bounds on model files and ONNX calls (server/onnx/config.ts reads them; validated here with the rest).
    ORT_MAX_MODEL_BYTES: optionalPositiveInt,
    ORT_LOAD_TIMEOUT_MS: optionalPositiveInt,
    ORT_RUN_TIMEOUT_MS: optionalPositiveInt,
    // Map external-data weights and share them between sessions (server/onnx/memory-sharing.ts).
    ORT_SHARE_WEIGHTS: unsetIfEmpty(z.enum(["auto", "on", "off"]).default("auto")),
    // "0": no tensors kept on the WebGPU device between runs (server/onnx/device-tensors.ts).
    ORT_DEVICE_TENSORS: unsetIfEmpty(z.enum(["0", "1"]).default("1")),
    // "on": the worker's child runs with glibc's huge pages for tensors (server/onnx/huge-pages.ts).
    ORT_HUGE_PAGES: unsetIfEmpty(z.enum(["on", "off"]).default("off")),
    // Where float32 twins of float16 models are written for WebGPU adapters without float16 shaders
    // (server/onnx/float16-upcast.ts; default: dno-float32-twins in the system's temporary folder).
    ORT_FLOAT32_TWIN_DIR: optionalString,
    // Memory (server/onnx/memory-budget.ts): the most host (or device) memory one run may plan to use, in MiB
    // (unset: 85 % of this machine's memory), and whether the backward pass recomputes each UNet forward
    // (checkpointing) or keeps the forward's activations; auto keeps them when they fit the budget.
    DNO_MEMORY_BUDGET_MB: optionalPositiveInt,
    DNO_MEMORY_MODE: unsetIfEmpty(z.enum(["auto", "recompute", "store"]).default("auto")),
    // Run workers (server/worker/worker-config.ts reads them). The embedded worker and `npm run worker`:
    // computing in a supervised child process or in this one, and how long a cancelled run may take before
    // its stuck child is killed.
    DNO_WORKER_MODE: unsetIfEmpty(z.enum(["child", "inprocess"]).default("child")),
    DNO_WORKER_KILL_AFTER_MS: unsetIfEmpty(z.coerce.number().int().min(100).max(600_000).default(5000)),
    // "0": the web server runs no worker itself (separate `npm run worker` processes take the queue).
    DNO_EMBEDDED_WORKER: unsetIfEmpty(z.enum(["0", "1"]).default("1")),
    // Runs at a time per worker (its device); iterations between checkpoints.
    DNO_WORKER_CONCURRENCY: unsetIfEmpty(z.coerce.number().int().min(1).max(64).default(1)),
    DNO_CHECKPOINT_EVERY: unsetIfEmpty(z.coerce.number().int().min(1).max(10_000).default(1)),
    // The queue: the Run table itself (embedded) or pg-boss on PostgreSQL (default when DATABASE_URL is one).
    DNO_QUEUE: unsetIfEmpty(z.enum(["embedded", "pg-boss"]).optional()),
    // Leases: a worker renews its runs' leases every heartbeat; a lease not renewed for DNO_WORKER_LEASE_MS
    // means the worker is dead and the run is queued again, at most DNO_WORKER_MAX_ATTEMPTS claims in all.
    DNO_WORKER_LEASE_MS: unsetIfEmpty(z.coerce.number().int().min(200).max(3_600_000).default(30_000)),
    // Unset: 5000, or a third of the lease when that is shorter.
    DNO_WORKER_HEARTBEAT_MS: unsetIfEmpty(z.coerce.number().int().min(50).max(600_000).optional()),
    DNO_WORKER_MAX_ATTEMPTS: unsetIfEmpty(z.coerce.number().int().min(1).max(100).default(3)),
    // `npm run worker` migrates the database itself only with "1" (the app migrates at its start).
    DNO_WORKER_MIGRATE: unsetIfEmpty(z.enum(["0", "1"]).default("0")),
    // The id a worker registers and claims under (the supervisor names its child; otherwise generated).
    DNO_WORKER_ID: unsetIfEmpty(
      z
        .string()
        .regex(/^[A-Za-z0-9._-]{1,100}$/)
        .optional(),
    ),
    // A worker process's live/ready HTTP port (server/worker/worker-health-server.ts); unset: none.
    DNO_WORKER_HEALTH_PORT: unsetIfEmpty(z.coerce.number().int().min(1).max(65_535).optional()),
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
    // 2 GiB: protobuf's one-file limit, so any scorer that can be one .onnx file (a ViT-L/14 one is 1.2 GB).
    MAX_SCORER_UPLOAD_BYTES: byteLimit(2 * 1024 * 1024 * 1024),
    // Artifact storage (server/services/runs/artifact-store.ts): run images and checkpoints go to this
    // S3-compatible bucket (S3, MinIO, R2) when DNO_S3_BUCKET is set, else to <data dir>/artifacts.
    DNO_S3_BUCKET: unsetIfEmpty(
      z
        .string()
        .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
          message: "must be a bucket name: 3–63 lowercase letters, digits, dots or hyphens",
        })
        .optional(),
    ),
    DNO_S3_ENDPOINT: s3Endpoint,
    DNO_S3_REGION: unsetIfEmpty(
      z
        .string()
        .regex(/^[a-z0-9-]{1,64}$/, { message: "must be a region name such as us-east-1" })
        .default("us-east-1"),
    ),
    DNO_S3_ACCESS_KEY_ID: optionalString,
    DNO_S3_SECRET_ACCESS_KEY: optionalString,
    DNO_S3_FORCE_PATH_STYLE: booleanFlag,
    DNO_S3_PREFIX: unsetIfEmpty(
      z
        .string()
        .max(200)
        .regex(/^([A-Za-z0-9_-][A-Za-z0-9_.-]*\/)*[A-Za-z0-9_-][A-Za-z0-9_.-]*\/?$/, {
          message:
            "must be folder names of letters, digits, _ . - joined by / (e.g. dno/prod), without .. or a leading /",
        })
        .optional(),
    ),
  })
  .superRefine((values, ctx) => {
    // The S3 settings only mean something with a bucket; both keys or neither (then the AWS SDK's own chain).
    if (!values.DNO_S3_BUCKET) {
      for (const key of [
        "DNO_S3_ENDPOINT",
        "DNO_S3_ACCESS_KEY_ID",
        "DNO_S3_SECRET_ACCESS_KEY",
        "DNO_S3_PREFIX",
      ] as const) {
        if (values[key] !== undefined)
          ctx.addIssue({
            code: "custom",
            path: [key],
            message:
              "is set but DNO_S3_BUCKET is not: set DNO_S3_BUCKET to store artifacts in S3, or unset it",
          });
      }
    }
    if ((values.DNO_S3_ACCESS_KEY_ID === undefined) !== (values.DNO_S3_SECRET_ACCESS_KEY === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [
          values.DNO_S3_ACCESS_KEY_ID === undefined ? "DNO_S3_ACCESS_KEY_ID" : "DNO_S3_SECRET_ACCESS_KEY",
        ],
        message:
          "is missing: set DNO_S3_ACCESS_KEY_ID and DNO_S3_SECRET_ACCESS_KEY together, or neither (the AWS SDK's default credentials)",
      });
    }
  });

export interface ServerEnv {
  databaseUrl: string;
  /** Run workers and their queue (server/worker/worker-config.ts). */
  worker: WorkerEnv;
  /** Absolute folder for the SQLite file, artifacts and caches. */
  dataDir: string;
  /** Absolute folder holding model folders (diffusers ONNX layout). */
  modelsDir: string;
  ortExecutionProvider: "cpu" | "cuda" | "webgpu" | "auto";
  /** ORT_THREADS as set: auto (every CPU), a count, 0 (ONNX Runtime decides); undefined = auto. */
  ortThreads: number | "auto" | undefined;
  /** DNO_MEMORY_BUDGET_MB; undefined: 85 % of the machine's memory (server/onnx/memory-budget.ts). */
  memoryBudgetMb: number | undefined;
  memoryMode: "auto" | "recompute" | "store";
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
  /** S3-compatible artifact storage; undefined: the local folder <dataDir>/artifacts. */
  s3: S3Settings | undefined;
}

export interface S3Settings {
  bucket: string;
  /** http(s) URL of an S3-compatible service (MinIO, R2); undefined: AWS S3 of the region. */
  endpoint: string | undefined;
  region: string;
  /** Both or neither; neither: the AWS SDK's default chain (environment, profile, instance role). */
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  /** Bucket in the path (http://host/bucket/key): MinIO and most self-hosted services need it. */
  forcePathStyle: boolean;
  /** Put before every object key: "" or folder names ending in "/". */
  prefix: string;
}

export interface WorkerEnv {
  mode: "child" | "inprocess";
  killAfterMs: number;
  embedded: boolean;
  concurrency: number;
  checkpointEvery: number;
  queue: "embedded" | "pg-boss";
  leaseMs: number;
  heartbeatMs: number;
  maxAttempts: number;
  migrate: boolean;
  id: string | undefined;
  /** Port of the worker process's /live and /ready endpoints; undefined: no health server. */
  healthPort: number | undefined;
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
  const heartbeatMs =
    values.DNO_WORKER_HEARTBEAT_MS ?? Math.min(5000, Math.floor(values.DNO_WORKER_LEASE_MS / 3));
  if (heartbeatMs * 2 > values.DNO_WORKER_LEASE_MS) {
    throw new EnvironmentError(
      `Invalid environment variables:\n  DNO_WORKER_HEARTBEAT_MS: must be at most half of DNO_WORKER_LEASE_MS (${values.DNO_WORKER_LEASE_MS}), so one late heartbeat does not lose a lease`,
    );
  }
  const isPostgres = /^postgres(ql)?:\/\//.test(values.DATABASE_URL);
  return {
    databaseUrl: values.DATABASE_URL,
    worker: {
      mode: values.DNO_WORKER_MODE,
      killAfterMs: values.DNO_WORKER_KILL_AFTER_MS,
      embedded: values.DNO_EMBEDDED_WORKER === "1",
      concurrency: values.DNO_WORKER_CONCURRENCY,
      checkpointEvery: values.DNO_CHECKPOINT_EVERY,
      queue: values.DNO_QUEUE ?? (isPostgres ? "pg-boss" : "embedded"),
      leaseMs: values.DNO_WORKER_LEASE_MS,
      heartbeatMs,
      maxAttempts: values.DNO_WORKER_MAX_ATTEMPTS,
      migrate: values.DNO_WORKER_MIGRATE === "1",
      id: values.DNO_WORKER_ID,
      healthPort: values.DNO_WORKER_HEALTH_PORT,
    },
    dataDir: path.resolve(root, values.DNO_DATA_DIR ?? "data"),
    modelsDir: path.resolve(root, values.MODELS_DIR ?? "models"),
    ortExecutionProvider: values.ORT_EXECUTION_PROVIDER,
    ortThreads: values.ORT_THREADS,
    memoryBudgetMb: values.DNO_MEMORY_BUDGET_MB,
    memoryMode: values.DNO_MEMORY_MODE,
    nodeEnv: values.NODE_ENV,
    host: values.HOST,
    allowedHosts: values.ALLOWED_HOSTS,
    maxBodyBytes: values.MAX_BODY_BYTES,
    maxImportBytes: values.MAX_IMPORT_BYTES,
    maxJsonDepth: values.MAX_JSON_DEPTH,
    maxUploadBytes: values.MAX_UPLOAD_BYTES,
    maxUnzippedModelBytes: values.MAX_UNZIPPED_MODEL_BYTES,
    maxScorerUploadBytes: values.MAX_SCORER_UPLOAD_BYTES,
    s3: s3Settings(values),
  };
}

function s3Settings(values: z.infer<typeof envSchema>): S3Settings | undefined {
  if (!values.DNO_S3_BUCKET) return undefined;
  const prefix = values.DNO_S3_PREFIX ?? "";
  return {
    bucket: values.DNO_S3_BUCKET,
    endpoint: values.DNO_S3_ENDPOINT,
    region: values.DNO_S3_REGION,
    credentials:
      values.DNO_S3_ACCESS_KEY_ID !== undefined && values.DNO_S3_SECRET_ACCESS_KEY !== undefined
        ? { accessKeyId: values.DNO_S3_ACCESS_KEY_ID, secretAccessKey: values.DNO_S3_SECRET_ACCESS_KEY }
        : undefined,
    // A custom endpoint is almost always MinIO-like (path style); AWS itself prefers virtual hosts.
    forcePathStyle: values.DNO_S3_FORCE_PATH_STYLE ?? values.DNO_S3_ENDPOINT !== undefined,
    prefix: prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`,
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
