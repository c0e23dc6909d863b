/**
 * The event bus between the worker and progress subscribers (and cancel requests from the API to the
 * worker). Kept on globalThis so Next's hot reload and the instrumentation hook share one bus.
 * Within one machine's web server the embedded worker child's events arrive over IPC (worker-supervisor.ts);
 * across processes on PostgreSQL, run-event-bridge.ts forwards every published event over LISTEN/NOTIFY and
 * emits the other processes' events here with emitRemoteRunEvent (never forwarded again: no echo).
 */
import { EventEmitter } from "node:events";
import type { RunStatus, RunStepView } from "../services/runs/run-views";

export type RunEvent =
  | { type: "status"; runId: string; status: RunStatus; error: string | null; errorNodeId: string | null }
  | {
      type: "iteration";
      runId: string;
      step: RunStepView;
      iterationsPlanned: number;
      /** Estimated time left, from the mean time per iteration of this attempt. */
      etaMs: number | null;
    }
  | { type: "log"; runId: string; level: string; message: string; nodeId: string | null }
  | { type: "cancel-requested"; runId: string };

export type RunEventForwarder = (event: RunEvent) => void;

interface BusHolder {
  dnoRunEventBus?: EventEmitter;
  dnoRunEventForwarder?: RunEventForwarder | null;
}

function bus(): EventEmitter {
  const holder = globalThis as BusHolder;
  if (!holder.dnoRunEventBus) {
    holder.dnoRunEventBus = new EventEmitter();
    // One listener per open run page plus the worker: many, by design.
    holder.dnoRunEventBus.setMaxListeners(0);
  }
  return holder.dnoRunEventBus;
}

function emitLocally(event: RunEvent): void {
  bus().emit(`run:${event.runId}`, event);
  bus().emit("run:*", event);
}

/** An event of this process: to its subscribers, and to other processes when a bridge is running. */
export function publishRunEvent(event: RunEvent): void {
  emitLocally(event);
  (globalThis as BusHolder).dnoRunEventForwarder?.(event);
}

/** An event that came from another process: to this process's subscribers only. */
export function emitRemoteRunEvent(event: RunEvent): void {
  emitLocally(event);
}

/** Installs (or with null removes) what carries published events to other processes. */
export function setRunEventForwarder(forwarder: RunEventForwarder | null): void {
  (globalThis as BusHolder).dnoRunEventForwarder = forwarder;
}

export function subscribeRunEvents(runId: string | "*", listener: (event: RunEvent) => void): () => void {
  const name = `run:${runId}`;
  bus().on(name, listener);
  return () => bus().off(name, listener);
}
