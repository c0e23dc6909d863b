/**
 * The embedded worker's child process (forked by worker-supervisor.ts with `node --import tsx`): runs the
 * queue like `npm run worker`, forwards its run events to the web server over IPC, takes cancels and queue
 * wake-ups from it, and sends a heartbeat so the server can tell a child stuck in a native call.
 * It never recovers runs: the supervisor settles the runs of a child it lost, by worker id.
 */
import type { RunExecutor } from "./executor-port";
import { notifyRunQueued } from "./queue";
import { publishRunEvent, subscribeRunEvents } from "./run-events";
import { startWorker } from "./start-worker";
import { type ChildMessage, isParentMessage } from "./worker-ipc";

const HEARTBEAT_MS = 1000;

function send(message: ChildMessage): void {
  if (process.connected) process.send?.(message, () => undefined);
}

/** DNO_WORKER_TEST_EXECUTOR is set by the supervisor's tests only (a loop that can block the thread). */
async function testExecutor(): Promise<RunExecutor | undefined> {
  const spec = process.env.DNO_WORKER_TEST_EXECUTOR;
  if (!spec) return undefined;
  const { createBlockingTestExecutor } = await import("./testing/blocking-executor");
  return createBlockingTestExecutor(spec);
}

async function main(): Promise<void> {
  if (!process.send) {
    throw new Error("This is the web server's worker child; start a worker yourself with `npm run worker`.");
  }
  const executor = await testExecutor();
  const worker = await startWorker({
    recover: false,
    migrate: false,
    ...(process.env.DNO_WORKER_ID ? { workerId: process.env.DNO_WORKER_ID } : {}),
    ...(executor ? { executor } : {}),
  });
  // Cancels come from the server; everything else the worker publishes goes back to it.
  subscribeRunEvents("*", (event) => {
    if (event.type !== "cancel-requested") send({ type: "event", event });
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await worker.stop();
    process.exit(0);
  };
  process.on("message", (message: unknown) => {
    if (!isParentMessage(message)) return;
    if (message.type === "cancel") publishRunEvent({ type: "cancel-requested", runId: message.runId });
    else if (message.type === "wake") notifyRunQueued();
    else void stop();
  });
  // The server went away (or Ctrl-C reached the whole process group): stop tidily, runs stay resumable.
  process.on("disconnect", () => void stop());
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
  setInterval(() => send({ type: "heartbeat" }), HEARTBEAT_MS);
  send({ type: "ready", workerId: worker.workerId });
}

main().catch((error: unknown) => {
  console.error("The run worker child failed to start:", error);
  process.exit(1);
});
