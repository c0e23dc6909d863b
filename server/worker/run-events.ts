/**
 * The in-process event bus between the worker and progress subscribers (and cancel requests from the API
 * to the worker). Kept on globalThis so Next's hot reload and the instrumentation hook share one bus. A worker
 * in another process does not reach this bus; subscribers then fall back to polling the database.
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

interface BusHolder {
  dnoRunEventBus?: EventEmitter;
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

export function publishRunEvent(event: RunEvent): void {
  bus().emit(`run:${event.runId}`, event);
  bus().emit("run:*", event);
}

export function subscribeRunEvents(runId: string | "*", listener: (event: RunEvent) => void): () => void {
  const name = `run:${runId}`;
  bus().on(name, listener);
  return () => bus().off(name, listener);
}
