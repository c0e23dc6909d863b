/**
 * The worker as its own process: `tsx server/worker/main.ts` (`npm run worker`). Run the Next server with
 * DNO_EMBEDDED_WORKER=0 and one of these per device, on any number of machines; they share the queue
 * (pg-boss on PostgreSQL) and never touch each other's runs while their leases are alive.
 * SIGTERM/SIGINT: the current iteration finishes and is checkpointed, the run goes back to the queue (lease
 * released), the Worker row is marked stopped, exit 0. A second signal exits at once: the lease then
 * expires and another worker resumes the run from its last checkpoint.
 */
import { workerConfig } from "./worker-config";
import { closeSharedBosses } from "./queue/pg-boss-queue";
import { startRunEventBridge, stopRunEventBridge } from "./run-event-bridge";
import { startWorker } from "./start-worker";
import { startWorkerHealthServer } from "./worker-health-server";
import { testExecutorFromEnv } from "./testing/test-executor-from-env";

async function main(): Promise<void> {
  // The app migrates the database at its start; a second process migrating the same SQLite file while the
  // app holds it fails, so the worker only checks the tables exist (DNO_WORKER_MIGRATE=1 migrates anyway).
  const config = workerConfig();
  const executor = await testExecutorFromEnv();
  let stopping = false;
  // Signals before the worker is up: nothing is held yet, so leave at once.
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
  const worker = await startWorker({ migrate: config.migrate, ...(executor ? { executor } : {}) });
  registeredId = worker.workerId;
  process.off("SIGINT", early);
  process.off("SIGTERM", early);
  console.log(
    `Run worker ${worker.workerId} started (${config.queue} queue, ${config.concurrency} at a time, lease ${config.leaseMs} ms).`,
  );
  const stop = async (signal: string) => {
    if (stopping) {
      console.log(`Run worker ${worker.workerId}: second ${signal}, exiting now; its runs resume elsewhere.`);
      process.exit(1);
    }
    stopping = true;
    console.log(
      `Run worker ${worker.workerId}: ${signal}, finishing the current iteration and handing runs back…`,
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
