/**
 * Where each queued run stands and when it should start, from measured data only (issue 13, scheduling):
 *
 * - position: 1 + the queued runs served before it (QUEUE_ORDER: band, round-robin turn, age), everyone's
 *   runs counted, nobody's named;
 * - slots: the concurrency of the live workers (Worker rows whose heartbeat is within the lease);
 * - a running run frees its slot after its remaining iterations × its own recent time per iteration
 *   (RunStep.elapsedMs is cumulative, so consecutive steps give one iteration's time);
 * - a queued run ahead holds a slot for its remaining iterations × the median time per iteration of recently
 *   finished runs (wall time / iterations, loading included);
 * - the slots are filled in queue order (earliest free slot first), which gives each run's start.
 *
 * No live worker → "no worker"; no timing to go on → "unknown" with the reason. Never a made-up number.
 */
import type { DbClient } from "../../db/client";
import { DEFAULT_PRESUMED_DEAD_AFTER_MS, liveWorkerWhere } from "../workers/worker-state";
import { QUEUE_ORDER } from "./queue-order";

export type StartEstimate =
  | { kind: "estimate"; startsInMs: number }
  | { kind: "unknown"; reason: string }
  | { kind: "no-worker"; reason: string };

export interface QueuePlace {
  runId: string;
  /** 1 = the next run a free slot takes. */
  position: number;
  estimate: StartEstimate;
}

export interface QueueEstimate {
  /** All queued runs, everyone's. */
  queued: number;
  liveWorkers: number;
  /** Runs the live workers can execute at once. */
  slots: number;
  running: number;
  places: Map<string, QueuePlace>;
}

/** How many recent runs and iterations the medians read: recent enough to follow a change of load. */
const RECENT_FINISHED_RUNS = 20;
const RECENT_STEPS = 9;

export const NO_WORKER_REASON = "No worker is running; it starts when one does.";
export const NO_TIMING_REASON =
  "No run has finished or timed an iteration yet, so there is nothing to estimate the start from.";

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? null)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** One iteration's time from a run's recent steps (newest first, cumulative elapsedMs); null under two. */
function msPerIterationOf(steps: readonly { iteration: number; elapsedMs: number }[]): number | null {
  const spans: number[] = [];
  for (let i = 0; i + 1 < steps.length; i++) {
    const later = steps[i];
    const earlier = steps[i + 1];
    if (!later || !earlier) continue;
    const gap = later.iteration - earlier.iteration;
    const took = later.elapsedMs - earlier.elapsedMs;
    // A resumed run restarts its clock: a negative span is no measurement.
    if (gap > 0 && took > 0) spans.push(took / gap);
  }
  return median(spans);
}

function remainingIterations(run: { iterationsPlanned: number | null; iterationsDone: number }): number {
  return Math.max(0, (run.iterationsPlanned ?? 0) - run.iterationsDone);
}

export async function estimateQueue(
  db: DbClient,
  options: { now?: Date; presumedDeadAfterMs?: number } = {},
): Promise<QueueEstimate> {
  const now = options.now ?? new Date();
  const [queued, workers, running, finished] = await Promise.all([
    db.run.findMany({
      where: { status: "queued" },
      orderBy: [...QUEUE_ORDER],
      select: { id: true, iterationsPlanned: true, iterationsDone: true },
    }),
    db.worker.findMany({
      where: liveWorkerWhere(now, options.presumedDeadAfterMs ?? DEFAULT_PRESUMED_DEAD_AFTER_MS),
      select: { concurrency: true },
    }),
    db.run.findMany({
      where: { status: "running" },
      select: {
        iterationsPlanned: true,
        iterationsDone: true,
        steps: {
          orderBy: { iteration: "desc" },
          take: RECENT_STEPS,
          select: { iteration: true, elapsedMs: true },
        },
      },
    }),
    db.run.findMany({
      where: {
        status: "succeeded",
        startedAt: { not: null },
        finishedAt: { not: null },
        iterationsDone: { gt: 0 },
      },
      orderBy: { finishedAt: "desc" },
      take: RECENT_FINISHED_RUNS,
      select: { startedAt: true, finishedAt: true, iterationsDone: true },
    }),
  ]);

  const slots = workers.reduce((sum, worker) => sum + Math.max(1, worker.concurrency), 0);
  const runningPerIteration = running.map((run) => msPerIterationOf(run.steps));
  const typicalPerIteration =
    median(
      finished.flatMap((run) =>
        run.startedAt && run.finishedAt
          ? [(run.finishedAt.getTime() - run.startedAt.getTime()) / run.iterationsDone]
          : [],
      ),
    ) ?? median(runningPerIteration.filter((value): value is number => value !== null));

  const places = new Map<string, QueuePlace>();
  // When each slot frees up (ms from now); null = a running run whose end cannot be estimated.
  const freeAt: (number | null)[] = running.map((run, index) => {
    const perIteration = runningPerIteration[index] ?? typicalPerIteration;
    return perIteration === null || perIteration === undefined
      ? null
      : perIteration * remainingIterations(run);
  });
  const known = freeAt.filter((value): value is number => value !== null).sort((a, b) => a - b);
  const unknownSlots = freeAt.length - known.length;
  // Runs beyond the live slots (a dead worker's, until the reaper queues them again) are left out.
  const slotTimes: (number | null)[] = [...known, ...Array<null>(unknownSlots).fill(null)].slice(0, slots);
  while (slotTimes.length < slots) slotTimes.unshift(0);
  slotTimes.sort(compareSlots);

  let lostTrack = false;
  queued.forEach((run, index) => {
    const position = index + 1;
    if (slots === 0) {
      places.set(run.id, {
        runId: run.id,
        position,
        estimate: { kind: "no-worker", reason: NO_WORKER_REASON },
      });
      return;
    }
    const start = slotTimes.shift();
    if (start === null || start === undefined || lostTrack) {
      lostTrack = true;
      places.set(run.id, {
        runId: run.id,
        position,
        estimate: { kind: "unknown", reason: NO_TIMING_REASON },
      });
      return;
    }
    places.set(run.id, { runId: run.id, position, estimate: { kind: "estimate", startsInMs: start } });
    slotTimes.push(
      typicalPerIteration === null ? null : start + typicalPerIteration * remainingIterations(run),
    );
    slotTimes.sort(compareSlots);
  });

  return { queued: queued.length, liveWorkers: workers.length, slots, running: running.length, places };
}

/** Earliest free slot first; slots whose end is unknown last. */
function compareSlots(a: number | null, b: number | null): number {
  if (a === null) return b === null ? 0 : 1;
  if (b === null) return -1;
  return a - b;
}
