/**
 * The worker as its own process: `tsx server/worker/main.ts` (`npm run worker`). Run the Next server with
 * DNO_EMBEDDED_WORKER=0 and one of these per device, on any number of machines; they share the queue
 * (pg-boss on PostgreSQL) and never touch each other's runs while their leases are alive.
 * DNO_WORKER_MODE=child (default): this process supervises a child process that computes (the same
 * worker-supervisor.ts as the web server's embedded worker). onnxruntime-node creates and runs sessions
 * synchronously on the JS thread, for minutes with full-size models; this process keeps the child's run
 * leases and Worker row alive meanwhile, serves the health endpoints, carries run events over the bridge,
 * kills a child silent past the ONNX limits and queues a crashed child's runs again at once.
 * DNO_WORKER_MODE=inprocess: the worker runs here (a model call longer than DNO_WORKER_LEASE_MS then loses
 * the run's lease).
 * SIGTERM/SIGINT: the current iteration finishes and is checkpointed, the run goes back to the queue (lease
 * released), the Worker row is marked stopped, exit 0. A second signal exits at once: the lease then
 * expires and another worker resumes the run from its last checkpoint.
 */
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { type WorkerConfig, workerConfig } from "./worker-config";
import { closeSharedBosses } from "./queue/pg-boss-queue";
import { startRunEventBridge, stopRunEventBridge } from "./run-event-bridge";
import { startSupervisedWorker, startWorker, WORKER_DRAIN_TIMEOUT_MS } from "./start-worker";
import { startWorkerHealthServer } from "./worker-health-server";
import { testExecutorFromEnv } from "./testing/test-executor-from-env";

/** What both modes hand to the signal handling. */
interface RunningWorker {
  workerId: string;
  /** Where the models run (logged at start). */
  computing: string;
  /** Says how long the stop may take (logged). */
  stopNotice: string;
  stop(): Promise<void>;
}

function describeMs(ms: number): string {
  return ms >= 120_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
}

/** The worker in this process (DNO_WORKER_MODE=inprocess). */
async function startHere(config: WorkerConfig): Promise<RunningWorker> {
  const executor = await testExecutorFromEnv();
  const worker = await startWorker({ migrate: config.migrate, ...(executor ? { executor } : {}) });
  return {
    workerId: worker.workerId,
    computing: "computing in this process",
    stopNotice: `up to ${describeMs(WORKER_DRAIN_TIMEOUT_MS)} for the iteration`,
    stop: () => worker.stop(),
  };
}

/** The worker in a supervised child process (DNO_WORKER_MODE=child, the default). */
async function startSupervised(config: WorkerConfig): Promise<RunningWorker> {
  // One id for every child this process starts: one Worker row per `npm run worker`.
  const id = config.id ?? `worker-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const supervisor = await startSupervisedWorker({ migrate: config.migrate, workerId: id });
  const workerId = await supervisor.whenReady();
  const childPid = supervisor.childPid;
  // The child finishes its iteration (or hands the run back after the drain time) once the model call in
  // progress returns; a call cannot be interrupted, and the silence limit (the ONNX limits) bounds it.
  const graceMs = WORKER_DRAIN_TIMEOUT_MS + supervisor.silentLimitMs;
  return {
    workerId,
    computing: `computing in the supervised child process ${childPid ?? "?"}`,
    stopNotice:
      `up to ${describeMs(graceMs)}: ${describeMs(WORKER_DRAIN_TIMEOUT_MS)} for the iteration plus the model ` +
      "call in progress, bounded by ORT_LOAD_TIMEOUT_MS / ORT_RUN_TIMEOUT_MS",
    stop: () => supervisor.stop({ graceMs }),
  };
}

async function main(): Promise<void> {
  // The app migrates the database at its start; a second process migrating the same SQLite file while the
  // app holds it fails, so the worker only checks the tables exist (DNO_WORKER_MIGRATE=1 migrates anyway).
  const config = workerConfig();
  let stopping = false;
  // Signals before the worker is up: nothing is held yet, so leave at once (a child is killed on exit).
  const early = () => process.exit(0);
  process.on("SIGINT", early);
  process.on("SIGTERM", early);
  // On PostgreSQL: this worker's progress to every web server, their cancels to it (LISTEN/NOTIFY).
  startRunEventBridge();
  // Live/ready probes for systemd, compose or an orchestrator; before the worker, so a taken port fails
  // the start before anything is registered or claimed (not ready until the worker has registered).
  let registeredId: string | null = null;
  if (config.healthPort !== undefined) {
    await startWorkerHealthServer({
      port: config.healthPort,
      workerId: () => registeredId,
      staleAfterMs: config.leaseMs,
    });
  }
  // The supervisor keeps no handle alive on its own (it also serves the web server): this one does.
  const keepAlive = setInterval(() => undefined, 60_000);
  const worker = config.mode === "child" ? await startSupervised(config) : await startHere(config);
  registeredId = worker.workerId;
  process.off("SIGINT", early);
  process.off("SIGTERM", early);
  console.log(
    `Run worker ${worker.workerId} started (${config.queue} queue, ${config.concurrency} at a time, lease ${config.leaseMs} ms, ` +
      `${worker.computing}).`,
  );
  const stop = async (signal: string) => {
    if (stopping) {
      console.log(`Run worker ${worker.workerId}: second ${signal}, exiting now; its runs resume elsewhere.`);
      process.exit(1);
    }
    stopping = true;
    console.log(
      `Run worker ${worker.workerId}: ${signal}, finishing the current iteration and handing runs back ` +
        `(waiting ${worker.stopNotice}; a second ${signal} exits now)…`,
    );
    try {
      await worker.stop();
      // After the worker: its last statuses (runs handed back) still reach the web servers.
      await stopRunEventBridge();
      await closeSharedBosses();
    } catch (error) {
      console.error(`Run worker ${worker.workerId}: stopping failed:`, error);
      process.exit(1);
    }
    clearInterval(keepAlive);
    console.log(`Run worker ${worker.workerId} stopped.`);
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((error: unknown) => {
  console.error("The run worker failed to start:", error);
  process.exit(1);
});
