/**
 * Wake-ups within one process: queueing a run here wakes this process's idle workers at once instead of at
 * their next poll (the supervisor forwards them to its worker child). Shared by both queue implementations.
 */
import { EventEmitter } from "node:events";

interface WakeHolder {
  dnoRunQueueWake?: EventEmitter;
}

function wakeEmitter(): EventEmitter {
  const holder = globalThis as WakeHolder;
  if (!holder.dnoRunQueueWake) {
    holder.dnoRunQueueWake = new EventEmitter();
    holder.dnoRunQueueWake.setMaxListeners(0);
  }
  return holder.dnoRunQueueWake;
}

/** Waits for a local wake-up, the timeout, or the signal. */
export function waitForLocalWake(timeoutMs: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      wakeEmitter().off("wake", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    wakeEmitter().on("wake", done);
    signal.addEventListener("abort", done);
  });
}

/** Wakes the workers of this process (and, through the supervisor, its worker child). */
export function wakeLocalWorkers(): void {
  wakeEmitter().emit("wake");
}

/** Called on every wake-up of this process's queue. */
export function onRunQueued(listener: () => void): () => void {
  wakeEmitter().on("wake", listener);
  return () => wakeEmitter().off("wake", listener);
}
