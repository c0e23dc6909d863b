"use client";
/**
 * Live progress of one run through the tRPC subscription (server-sent events). The server first replays what
 * is stored, so a reload shows the whole history; the link resumes after the last event id on reconnect.
 */
import { useEffect, useState } from "react";
import { useTRPCClient } from "@/app/_trpc/provider";
import type { ProgressEvent, RunStep, RunSummary } from "./run-types";
import { estimateTimeLeftMs } from "./time-left";

export interface LiveStep extends RunStep {
  imageUrl: string | null;
}

export interface RunProgressState {
  run: RunSummary | null;
  steps: LiveStep[];
  etaMs: number | null;
  log: { level: string; message: string; nodeId: string | null }[];
  connectionError: string | null;
  /** When the first progress event of this subscription arrived (performance.now()). */
  firstEventAt: number | null;
}

const EMPTY: RunProgressState = {
  run: null,
  steps: [],
  etaMs: null,
  log: [],
  connectionError: null,
  firstEventAt: null,
};

export function reduceProgress(state: RunProgressState, event: ProgressEvent): RunProgressState {
  const firstEventAt = state.firstEventAt ?? performance.now();
  if (event.type === "status") {
    const done = ["succeeded", "failed", "cancelled", "interrupted"].includes(event.run.status);
    return { ...state, run: event.run, firstEventAt, ...(done ? { etaMs: 0 } : {}) };
  }
  if (event.type === "log") {
    return {
      ...state,
      firstEventAt,
      log: [...state.log, { level: event.level, message: event.message, nodeId: event.nodeId }],
    };
  }
  if (state.steps.some((step) => step.iteration === event.step.iteration)) return state;
  const steps = [...state.steps, { ...event.step, imageUrl: event.imageUrl }].sort(
    (a, b) => a.iteration - b.iteration,
  );
  const run = state.run
    ? {
        ...state.run,
        iterationsDone: Math.max(state.run.iterationsDone, event.step.iteration + 1),
        iterationsPlanned: event.iterationsPlanned ?? state.run.iterationsPlanned,
      }
    : null;
  // From the measured iteration times, not the server's elapsed ÷ done (which counts model loading).
  const etaMs = estimateTimeLeftMs(steps, event.iterationsPlanned ?? state.run?.iterationsPlanned);
  return { ...state, steps, run, etaMs, firstEventAt };
}

export function useRunProgress(runId: string | null): RunProgressState {
  const client = useTRPCClient();
  const [state, setState] = useState<RunProgressState>(EMPTY);
  useEffect(() => {
    setState(EMPTY);
    if (!runId) return;
    const subscription = client.run.progress.subscribe(
      { runId },
      {
        onData(envelope) {
          setState((current) => reduceProgress({ ...current, connectionError: null }, envelope.data));
        },
        onError(error) {
          setState((current) => ({ ...current, connectionError: error.message }));
        },
      },
    );
    return () => subscription.unsubscribe();
  }, [client, runId]);
  return state;
}
