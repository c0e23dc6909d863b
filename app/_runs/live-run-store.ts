/**
 * The editor's live run, readable by every node card without threading props through React Flow: a tiny
 * external store (one editor per page), written by the Run controls, read with useSyncExternalStore.
 */
import { useSyncExternalStore } from "react";
import type { RunProgressState } from "./use-run-progress";

export interface NodeRunState {
  status: "queued" | "running" | "done" | "failed" | "cancelled" | "interrupted" | "refused";
  message?: string;
  /** Optimizer: progress 0..1 and the latest image. */
  progress?: number;
  imageUrl?: string | null;
}

export interface LiveRunSnapshot {
  runId: string | null;
  progress: RunProgressState | null;
  /** Problems the server found when the Run was refused, per node. */
  refused: ReadonlyMap<string, string[]>;
}

let snapshot: LiveRunSnapshot = { runId: null, progress: null, refused: new Map() };
const listeners = new Set<() => void>();

export function setLiveRun(next: Partial<LiveRunSnapshot>): void {
  snapshot = { ...snapshot, ...next };
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useLiveRun(): LiveRunSnapshot {
  return useSyncExternalStore(
    subscribe,
    () => snapshot,
    () => snapshot,
  );
}

export function nodeRunState(live: LiveRunSnapshot, nodeId: string, nodeType: string): NodeRunState | null {
  const refused = live.refused.get(nodeId);
  if (refused && refused.length > 0) return { status: "refused", message: refused.join(" ") };
  const run = live.progress?.run;
  if (!run) return null;
  if (run.status === "failed") {
    return run.errorNodeId === nodeId || (run.errorNodeId === null && nodeType === "optimizer")
      ? { status: "failed", message: run.error ?? "failed" }
      : { status: "done" };
  }
  const steps = live.progress?.steps ?? [];
  const latest = steps.at(-1);
  const planned = run.iterationsPlanned ?? 0;
  const base: NodeRunState =
    run.status === "queued"
      ? { status: "queued" }
      : run.status === "running"
        ? { status: "running" }
        : run.status === "succeeded"
          ? { status: "done" }
          : { status: run.status };
  if (nodeType === "optimizer") {
    return {
      ...base,
      progress: planned > 0 ? Math.min(1, run.iterationsDone / planned) : 0,
      imageUrl: latest?.imageUrl ?? null,
    };
  }
  return base;
}
