/**
 * Starting a worker, shared by the Next server (embedded, from instrumentation.ts) and the separate entry
 * point (main.ts): recover runs a previous process left running, then take runs from the queue.
 */
import { getDb } from "../db/client";
import { ensureDatabaseReady } from "../db/ready";
import { formatDevice } from "../onnx/providers";
import { getOnnxRuntime } from "../onnx/runtime";
import { type ServiceContext, SYSTEM } from "../services/context";
import { recoverInterruptedRuns } from "../services/runs/recover-interrupted-runs";
import { createDnoExecutor } from "./dno-executor";
import type { RunExecutor } from "./executor-port";
import { createDatabaseRunQueue } from "./queue";
import { RunWorker } from "./run-worker";
import { workerConfig } from "./worker-config";
import { WorkerSupervisor } from "./worker-supervisor";

/** What the Next server holds: the worker itself (inprocess) or the supervisor of its child (child). */
export type EmbeddedWorker = RunWorker | WorkerSupervisor;

interface WorkerHolder {
  dnoEmbeddedWorker?: Promise<EmbeddedWorker | null>;
}

export interface StartWorkerOptions {
  recover?: boolean;
  migrate?: boolean;
  /** Set by the supervisor, so it knows which runs its child holds before the child reports. */
  workerId?: string;
  /** Instead of the DNO executor (tests of the child process only). */
  executor?: RunExecutor;
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

export async function startWorker(options: StartWorkerOptions = {}): Promise<RunWorker> {
  if (options.migrate !== false) await ensureDatabaseReady();
  const ctx: ServiceContext = { db: getDb(), actor: SYSTEM };
  if (options.migrate === false) {
    try {
      await ctx.db.run.count({ where: { status: "queued" } });
    } catch (error) {
      throw new Error(
        "The database has no run tables yet. Start the app once (it migrates at start) or run `npm run db:migrate`, then start the worker.",
        { cause: error },
      );
    }
  }
  const config = workerConfig();
  if (options.recover !== false) {
    const recovered = await recoverInterruptedRuns(ctx);
    if (recovered.length > 0)
      console.log(`Marked ${recovered.length} run(s) interrupted; they can be resumed.`);
  }
  const worker = new RunWorker({
    ctx,
    queue: createDatabaseRunQueue(ctx),
    executor: options.executor ?? createDnoExecutor({ device: await resolvedDevice(config.device) }),
    concurrency: config.concurrency,
    ...(options.workerId ? { workerId: options.workerId } : {}),
  });
  worker.start();
  return worker;
}

/**
 * The child-process worker: the server recovers runs a previous process left running (once, here; a
 * restarted child must not touch runs of its predecessor the supervisor settles itself), then forks.
 */
async function startSupervisedWorker(): Promise<WorkerSupervisor> {
  await ensureDatabaseReady();
  const ctx: ServiceContext = { db: getDb(), actor: SYSTEM };
  const recovered = await recoverInterruptedRuns(ctx);
  if (recovered.length > 0)
    console.log(`Marked ${recovered.length} run(s) interrupted; they can be resumed.`);
  const supervisor = new WorkerSupervisor({ ctx, killAfterMs: workerConfig().killAfterMs });
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
