/**
 * The worker as its own process: `tsx server/worker/main.ts`. Run the Next server with DNO_EMBEDDED_WORKER=0
 * and one of these per device; they share the database queue. Stops cleanly on SIGINT/SIGTERM, leaving the
 * runs it held interrupted and resumable.
 */
import { startWorker } from "./start-worker";

async function main(): Promise<void> {
  // With several worker processes, only the operator knows which ones died; recover explicitly instead.
  const recover = process.env.DNO_WORKER_RECOVER !== "0";
  // The app migrates the database at its start; a second process migrating the same SQLite file while the
  // app holds it fails, so the worker only checks the tables exist (DNO_WORKER_MIGRATE=1 migrates anyway).
  const worker = await startWorker({ recover, migrate: process.env.DNO_WORKER_MIGRATE === "1" });
  console.log(`Run worker ${worker.workerId} started.`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`Run worker ${worker.workerId}: ${signal}, stopping…`);
    await worker.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((error: unknown) => {
  console.error("The run worker failed to start:", error);
  process.exit(1);
});
