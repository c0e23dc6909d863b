/**
 * Starting a worker, shared by the Next server (embedded, from instrumentation.ts), the separate entry point
 * (main.ts) and the supervised child (child-main.ts): register it and take runs from the queue, in this
 * process (`startWorker`) or in a supervised child process (`startSupervisedWorker`, DNO_WORKER_MODE=child).
 * It never touches runs whose lease is alive (another worker holds them); runs of dead workers come back
 * through the lease reaper every worker runs.
 */
import { getDb } from "../db/client";
import { getEnv } from "../env";
import { ensureDatabaseReady } from "../db/ready";
import { formatDevice } from "../onnx/providers";
import { getOnnxRuntime } from "../onnx/runtime";
import { type ServiceContext, SYSTEM } from "../services/context";
import { createDnoExecutor } from "./dno-executor";
import type { RunExecutor } from "./executor-port";
import { createRunQueue, type RunQueue } from "./queue";
import { RunWorker } from "./run-worker";
import { workerConfig } from "./worker-config";
import { WorkerSupervisor } from "./worker-supervisor";

/** What the Next server holds: the worker itself (inprocess) or the supervisor of its child (child). */
export type EmbeddedWorker = RunWorker | WorkerSupervisor;

interface WorkerHolder {
  dnoEmbeddedWorker?: Promise<EmbeddedWorker | null>;
}

export interface StartWorkerOptions {
  migrate?: boolean;
  /** Set by the supervisor, so it knows which runs its child holds before the child reports. */
  workerId?: string;
  /** Instead of the DNO executor (tests of the worker processes only). */
  executor?: RunExecutor;
  /** Instead of the configured queue (tests). */
  queue?: RunQueue;
}

/**
 * The device each claimed run records (the run page's Reproducibility table): the provider ONNX Runtime
 * resolved and, for WebGPU, its adapter. If the provider cannot load, runs fail with that error when they
 * start; until then the configured name stands.
 */
async function resolvedDevice(configured: string): Promise<string> {
  try {
    return formatDevice((await getOnnxRuntime()).device);
  } catch {
    return configured;
  }
}

/**
 * On stop, how long a worker's current iteration may run on before its run is handed back from its last
 * checkpoint anyway (the model call in progress still ends first: it cannot be interrupted).
 */
export const WORKER_DRAIN_TIMEOUT_MS = 60_000;

/** Migrates (the app, DNO_WORKER_MIGRATE=1) or only checks that the tables exist (a separate worker). */
async function prepareDatabase(migrate: boolean): Promise<ServiceContext> {
  if (migrate) await ensureDatabaseReady();
  const ctx: ServiceContext = { db: getDb(), actor: SYSTEM };
  if (!migrate) {
    try {
      await ctx.db.run.count({ where: { status: "queued" } });
    } catch (error) {
      throw new Error(
        "The database has no run tables yet. Start the app once (it migrates at start) or run `npm run db:migrate`, then start the worker.",
        { cause: error },
      );
    }
  }
  return ctx;
}

export async function startWorker(options: StartWorkerOptions = {}): Promise<RunWorker> {
  const ctx = await prepareDatabase(options.migrate !== false);
  const config = workerConfig();
  const worker = new RunWorker({
    ctx,
    queue: options.queue ?? createRunQueue(ctx, getEnv().databaseUrl),
    executor: options.executor ?? createDnoExecutor({ device: await resolvedDevice(config.device) }),
    concurrency: config.concurrency,
    leaseMs: config.leaseMs,
    heartbeatMs: config.heartbeatMs,
    maxAttempts: config.maxAttempts,
    drainTimeoutMs: WORKER_DRAIN_TIMEOUT_MS,
    ...(options.workerId ? { workerId: options.workerId } : config.id ? { workerId: config.id } : {}),
  });
  worker.start();
  return worker;
}

export interface StartSupervisedWorkerOptions {
  /** Migrate first (the web server; `npm run worker` with DNO_WORKER_MIGRATE=1); else only check the tables. */
  migrate?: boolean;
  /** The id every child registers under (`npm run worker`); unset: a fresh id per child (the web server). */
  workerId?: string;
}

/**
 * The child-process worker: this process migrates (or checks the tables), then forks and supervises. Runs a
 * previous web server left running come back when their lease expires (the child's reaper), never earlier:
 * another worker may still hold them.
 */
export async function startSupervisedWorker(
  options: StartSupervisedWorkerOptions = {},
): Promise<WorkerSupervisor> {
  const ctx = await prepareDatabase(options.migrate !== false);
  const config = workerConfig();
  const supervisor = new WorkerSupervisor({
    ctx,
    killAfterMs: config.killAfterMs,
    leaseMs: config.leaseMs,
    heartbeatMs: config.heartbeatMs,
    maxAttempts: config.maxAttempts,
    ...(options.workerId ? { workerId: options.workerId } : {}),
  });
  supervisor.start();
  return supervisor;
}

/**
 * The embedded worker of the Next server, once per process (kept on globalThis across hot reloads): a
 * supervised child process (DNO_WORKER_MODE=child, the default) or in this process (inprocess).
 * Null when DNO_EMBEDDED_WORKER=0, i.e. a separate worker process runs the queue.
 */
export function ensureEmbeddedWorker(): Promise<EmbeddedWorker | null> {
  const holder = globalThis as WorkerHolder;
  if (!holder.dnoEmbeddedWorker) {
    const config = workerConfig();
    holder.dnoEmbeddedWorker = !config.embedded
      ? Promise.resolve(null)
      : config.mode === "child"
        ? startSupervisedWorker()
        : startWorker();

    holder.dnoEmbeddedWorker.catch((error: unknown) => {
      console.error("The embedded run worker could not start:", error);
      holder.dnoEmbeddedWorker = undefined;
    });
  }
  return holder.dnoEmbeddedWorker;
}
