/**
 * Starting a worker, shared by the Next server (embedded, from instrumentation.ts) and the separate entry
 * point (main.ts): recover runs a previous process left running, then take runs from the queue.
 */
import { getDb } from "../db/client";
import { ensureDatabaseReady } from "../db/ready";
import { ANONYMOUS, type ServiceContext } from "../services/context";
import { recoverInterruptedRuns } from "../services/runs/recover-interrupted-runs";
import { createDnoExecutor } from "./dno-executor";
import { createDatabaseRunQueue } from "./queue";
import { RunWorker } from "./run-worker";
import { workerConfig } from "./worker-config";

interface WorkerHolder {
  dnoEmbeddedWorker?: Promise<RunWorker | null>;
}

export async function startWorker(
  options: { recover?: boolean; migrate?: boolean } = {},
): Promise<RunWorker> {
  if (options.migrate !== false) await ensureDatabaseReady();
  const ctx: ServiceContext = { db: getDb(), actor: ANONYMOUS };
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
    executor: createDnoExecutor({ device: config.device }),
    concurrency: config.concurrency,
  });
  worker.start();
  return worker;
}

/**
 * The in-process worker of the Next server, once per process (kept on globalThis across hot reloads).
 * Null when DNO_EMBEDDED_WORKER=0, i.e. a separate worker process runs the queue.
 */
export function ensureEmbeddedWorker(): Promise<RunWorker | null> {
  const holder = globalThis as WorkerHolder;
  if (!holder.dnoEmbeddedWorker) {
    holder.dnoEmbeddedWorker = workerConfig().embedded ? startWorker() : Promise.resolve(null);
    holder.dnoEmbeddedWorker.catch((error: unknown) => {
      console.error("The embedded run worker could not start:", error);
      holder.dnoEmbeddedWorker = undefined;
    });
  }
  return holder.dnoEmbeddedWorker;
}
