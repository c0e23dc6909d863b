/**
 * The run queue, behind one small interface (ARCHITECTURE.md, worker/): the embedded implementation below uses the Run
 * rows themselves as jobs (claimed with a conditional update); a scaled setup can put pg-boss or BullMQ
 * behind the same three methods without touching the worker or the executor.
 */
import { EventEmitter } from "node:events";
import { type ClaimedRun, claimNextRun } from "../services/runs/claim-next-run";
import type { ServiceContext } from "../services/context";

export interface RunQueue {
  /** A run was queued or resumed: wake idle workers now instead of at their next poll. */
  notify(): void;
  /** Takes the next queued run for this worker and device, or null when there is none. */
  claim(input: { workerId: string; device: string }): Promise<ClaimedRun | null>;
  /** Resolves on `notify`, after `timeoutMs`, or when `signal` aborts. */
  waitForWork(timeoutMs: number, signal: AbortSignal): Promise<void>;
}

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

/** The embedded queue: the database's Run table, plus an in-process wake-up so pickup is immediate. */
export function createDatabaseRunQueue(ctx: ServiceContext): RunQueue {
  return {
    notify() {
      wakeEmitter().emit("wake");
    },
    claim(input) {
      return claimNextRun(ctx, input);
    },
    waitForWork(timeoutMs, signal) {
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
    },
  };
}

/** Wakes embedded workers of this process (called by the API after queueing). */
export function notifyRunQueued(): void {
  wakeEmitter().emit("wake");
}

/** Called on every wake-up of this process's queue (the worker supervisor passes them to its child). */
export function onRunQueued(listener: () => void): () => void {
  wakeEmitter().on("wake", listener);
  return () => wakeEmitter().off("wake", listener);
}
