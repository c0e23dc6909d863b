/**
 * The admin's view of the run workers (issue 13): every Worker row with its host, device, concurrency, the
 * runs it holds now, its last heartbeat, the runs it finished, and whether it is live, stopped or presumed
 * dead (heartbeat older than the lease). Admins may open every run, so the runs are linked by id.
 */
import { assertInstanceAdmin } from "../authorization";
import type { ServiceContext } from "../context";
import { DEFAULT_PRESUMED_DEAD_AFTER_MS, type WorkerState, workerState } from "./worker-state";

export interface WorkerRunView {
  runId: string;
  workflowId: string;
  workflowName: string;
  versionNumber: number;
  iterationsDone: number;
  iterationsPlanned: number | null;
}

export interface WorkerView {
  id: string;
  host: string;
  pid: number;
  device: string;
  concurrency: number;
  state: WorkerState;
  startedAt: Date;
  lastHeartbeatAt: Date;
  /** How long ago the last heartbeat was, at the time of the answer. */
  heartbeatAgeMs: number;
  stoppedAt: Date | null;
  runsDone: number;
  /** The runs it holds the lease of (status running). */
  currentRuns: WorkerRunView[];
}

export interface WorkersView {
  workers: WorkerView[];
  /** Runs waiting for a slot, everyone's. */
  queued: number;
  presumedDeadAfterMs: number;
}

/** Stopped and dead workers pile up over restarts: the newest this many are listed. */
const LISTED_WORKERS = 200;
const STATE_ORDER: Record<WorkerState, number> = { live: 0, "presumed-dead": 1, stopped: 2 };

export async function listWorkers(
  ctx: ServiceContext,
  input: { presumedDeadAfterMs?: number; now?: Date } = {},
): Promise<WorkersView> {
  assertInstanceAdmin(ctx.actor);
  const now = input.now ?? new Date();
  const presumedDeadAfterMs = input.presumedDeadAfterMs ?? DEFAULT_PRESUMED_DEAD_AFTER_MS;
  const [workers, queued] = await Promise.all([
    ctx.db.worker.findMany({ orderBy: [{ lastHeartbeatAt: "desc" }, { id: "asc" }], take: LISTED_WORKERS }),
    ctx.db.run.count({ where: { status: "queued" } }),
  ]);
  const runs = await ctx.db.run.findMany({
    where: { status: "running", workerId: { in: workers.map((worker) => worker.id) } },
    orderBy: [{ startedAt: "asc" }, { id: "asc" }],
    select: {
      id: true,
      workerId: true,
      workflowId: true,
      iterationsDone: true,
      iterationsPlanned: true,
      workflow: { select: { name: true } },
      workflowVersion: { select: { number: true } },
    },
  });
  const views = workers.map(
    (worker): WorkerView => ({
      id: worker.id,
      host: worker.host,
      pid: worker.pid,
      device: worker.device,
      concurrency: worker.concurrency,
      state: workerState(worker, now, presumedDeadAfterMs),
      startedAt: worker.startedAt,
      lastHeartbeatAt: worker.lastHeartbeatAt,
      heartbeatAgeMs: Math.max(0, now.getTime() - worker.lastHeartbeatAt.getTime()),
      stoppedAt: worker.stoppedAt,
      runsDone: worker.runsDone,
      currentRuns: runs
        .filter((run) => run.workerId === worker.id)
        .map((run) => ({
          runId: run.id,
          workflowId: run.workflowId,
          workflowName: run.workflow.name,
          versionNumber: run.workflowVersion.number,
          iterationsDone: run.iterationsDone,
          iterationsPlanned: run.iterationsPlanned,
        })),
    }),
  );
  // Live first (what serves the queue now), then presumed dead (what needs a look), then stopped.
  views.sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state]);
  return { workers: views, queued, presumedDeadAfterMs };
}
