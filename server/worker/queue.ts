/**
 * The run queue, behind one interface (ARCHITECTURE.md, worker/). The Run row is always the source of truth:
 * a queue only says which run to try next, and a claim is the conditional update in claim-run.ts.
 * - embedded (SQLite, or DNO_QUEUE=embedded): the Run table itself, in queue-order.ts's order;
 * - pg-boss (default on PostgreSQL): a job per queued run carrying only its id, ordered by queuePriority()
 *   (queue/pg-boss-queue.ts).
 * Whatever queues a run (start, resume, the lease reaper, a worker handing a run back) calls
 * `announceQueuedRuns`, and every worker's periodic `sweep` re-sends what a crash may have lost in between.
 */
import { type ClaimedRun, claimNextRun } from "../services/runs/claim-next-run";
import type { ServiceContext } from "../services/context";
import { getEnv } from "../env";
import { onRunQueued, waitForLocalWake, wakeLocalWorkers } from "./queue/local-wake";
import { createPgBossRunQueue, sendRunJobs } from "./queue/pg-boss-queue";
import { publishRunEvent } from "./run-events";
import { workerConfig } from "./worker-config";

export interface ClaimInput {
  workerId: string;
  device: string;
  /** The lease the claim starts with (renewed by the holder every heartbeat). */
  leaseMs: number;
}

export interface RunQueue {
  readonly kind: "embedded" | "pg-boss";
  /** These runs were queued (new, resumed, re-queued, handed back): make sure a worker will find them. */
  enqueue(runIds: string[]): Promise<void>;
  /** Claims the next queued run for this worker and device, or null when there is none. */
  claim(input: ClaimInput): Promise<ClaimedRun | null>;
  /** Resolves when this process queued a run, after `timeoutMs`, or when `signal` aborts. */
  waitForWork(timeoutMs: number, signal: AbortSignal): Promise<void>;
  /** Makes every queued run findable again (pg-boss: a job for each queued run that lost its own). */
  sweep(): Promise<void>;
}

/** The embedded queue: the database's Run table, plus an in-process wake-up so pickup is immediate. */
export function createDatabaseRunQueue(ctx: ServiceContext): RunQueue {
  return {
    kind: "embedded",
    async enqueue() {
      wakeLocalWorkers();
    },
    claim(input) {
      return claimNextRun(ctx, input);
    },
    waitForWork: waitForLocalWake,
    // The rows are the queue: nothing can get lost between a row and its job.
    async sweep() {},
  };
}

/** The queue this deployment uses (DNO_QUEUE; pg-boss by default on PostgreSQL). */
export function createRunQueue(ctx: ServiceContext, databaseUrl: string): RunQueue {
  const config = workerConfig();
  if (config.queue === "embedded") return createDatabaseRunQueue(ctx);
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error(
      "DNO_QUEUE=pg-boss needs a PostgreSQL DATABASE_URL (postgresql://…); with SQLite use DNO_QUEUE=embedded.",
    );
  }
  return createPgBossRunQueue(ctx, databaseUrl);
}

/**
 * The one call for "these runs are queued now" (the API after start/resume/re-run/proposal run; workers after
 * reaping or handing back): wakes this process's workers and, with pg-boss, sends each run its job. A failed
 * send is only logged: the workers' sweep finds queued runs without a job.
 */
export async function announceQueuedRuns(
  ctx: ServiceContext,
  runIds: string[],
  databaseUrl: string = getEnv().databaseUrl,
): Promise<void> {
  // The job first, then the wake-ups: a worker woken before the job exists finds nothing and sleeps until
  // its next poll (bench:cluster measured claims of ~1 s that way instead of a few ms).
  if (runIds.length > 0 && workerConfig().queue === "pg-boss") {
    try {
      await sendRunJobs(ctx, databaseUrl, runIds);
    } catch (error) {
      console.error(
        `Queueing run(s) ${runIds.join(", ")} in pg-boss failed; the workers' sweep will pick them up:`,
        error,
      );
    }
  }
  wakeLocalWorkers();
  // Watchers see the run waiting again; on PostgreSQL the run-event bridge carries this to the workers of
  // other processes, which wake up on it instead of at their next poll.
  for (const runId of runIds) {
    publishRunEvent({ type: "status", runId, status: "queued", error: null, errorNodeId: null });
  }
}

export { onRunQueued, waitForLocalWake, wakeLocalWorkers };
