/**
 * A supervised worker's child process (forked by worker-supervisor.ts with `node --import tsx`, for the web
 * server's embedded worker and for `npm run worker` in DNO_WORKER_MODE=child): runs the queue, forwards its
 * run events to the supervising process over IPC, takes cancels and queue wake-ups from it, and sends a
 * heartbeat so the supervisor can tell a child stuck in a native call.
 * It never touches runs with a live lease: the supervisor settles (re-queues) the runs of a child it lost,
 * by worker id, and every worker's reaper those of workers whose lease expired. Stopping (the supervisor's
 * "stop", SIGTERM, or the supervisor gone) hands its runs back to the queue after their current iteration;
 * a second SIGTERM exits.
 */
import { closeSharedBosses } from "./queue/pg-boss-queue";
import { wakeLocalWorkers } from "./queue";
import { publishRunEvent, subscribeRunEvents } from "./run-events";
import { startWorker } from "./start-worker";
import { testExecutorFromEnv } from "./testing/test-executor-from-env";
import { type ChildMessage, isParentMessage } from "./worker-ipc";

const HEARTBEAT_MS = 1000;

function send(message: ChildMessage): void {
  if (process.connected) process.send?.(message, () => undefined);
}

async function main(): Promise<void> {
  if (!process.send) {
    throw new Error(
      "This is a supervised worker's child process (the web server and `npm run worker` start it); start a worker with `npm run worker`.",
    );
  }
  const executor = await testExecutorFromEnv();
  // The worker id comes from DNO_WORKER_ID, set by the supervisor.
  const worker = await startWorker({ migrate: false, ...(executor ? { executor } : {}) });
  // Cancels come from the server; everything else the worker publishes goes back to it.
  subscribeRunEvents("*", (event) => {
    if (event.type !== "cancel-requested") send({ type: "event", event });
  });
  let stopping = false;
  const stop = async (why?: string) => {
    if (stopping) return;
    stopping = true;
    if (why) console.log(`Run worker ${worker.workerId}: ${why}`);
    await worker.stop();
    await closeSharedBosses().catch(() => undefined);
    process.exit(0);
  };
  // A second SIGTERM while stopping: leave now (the lease expires and the run resumes elsewhere).
  const signalled = () => (stopping ? process.exit(1) : void stop());
  process.on("message", (message: unknown) => {
    if (!isParentMessage(message)) return;
    if (message.type === "cancel") publishRunEvent({ type: "cancel-requested", runId: message.runId });
    else if (message.type === "wake") wakeLocalWorkers();
    else void stop();
  });
  // The server went away (or Ctrl-C reached the whole process group): stop tidily, runs stay resumable.
  const orphaned = () =>
    void stop("its supervising process is gone; finishing the current iteration and handing runs back.");
  process.on("disconnect", orphaned);
  // Gone while this child was starting (a server stopped right after a run woke its worker): the
  // disconnect came before anyone listened, and the child would run on by itself for good.
  if (!process.connected) orphaned();
  process.on("SIGINT", signalled);
  process.on("SIGTERM", signalled);
  setInterval(() => send({ type: "heartbeat" }), HEARTBEAT_MS);
  send({ type: "ready", workerId: worker.workerId });
}

main().catch((error: unknown) => {
  console.error("The run worker child failed to start:", error);
  process.exit(1);
});
