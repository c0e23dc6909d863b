/**
 * Whether a Worker row stands for a live process, judged by its heartbeat: the same rule as a run's lease
 * (a worker silent for longer than the lease has lost its runs to the reaper, so it counts as dead). Used by
 * the queue estimate (live slots) and the admin's workers page.
 */

/** Matches the default DNO_WORKER_LEASE_MS; callers pass the configured lease. */
export const DEFAULT_PRESUMED_DEAD_AFTER_MS = 30_000;

export type WorkerState = "live" | "stopped" | "presumed-dead";

export function workerState(
  worker: { lastHeartbeatAt: Date; stoppedAt: Date | null },
  now: Date,
  presumedDeadAfterMs: number = DEFAULT_PRESUMED_DEAD_AFTER_MS,
): WorkerState {
  if (worker.stoppedAt !== null) return "stopped";
  return now.getTime() - worker.lastHeartbeatAt.getTime() <= presumedDeadAfterMs ? "live" : "presumed-dead";
}

/** Prisma `where` for Worker rows that are live at `now` (the same rule as workerState). */
export function liveWorkerWhere(now: Date, presumedDeadAfterMs: number = DEFAULT_PRESUMED_DEAD_AFTER_MS) {
  return {
    stoppedAt: null,
    lastHeartbeatAt: { gte: new Date(now.getTime() - presumedDeadAfterMs) },
  };
}
