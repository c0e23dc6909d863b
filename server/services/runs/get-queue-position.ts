/**
 * A run's place in the queue for whoever may view the run: its position (1 = next), the estimated start
 * and the counts behind it. Other people's runs are counted, never named.
 */
import type { ServiceContext } from "../context";
import { loadRun } from "./load-run";
import { estimateQueue, type StartEstimate } from "./queue-position";
import { isRunStatus, type RunStatus } from "./run-views";

export interface QueuePositionView {
  runId: string;
  status: RunStatus;
  /** Null once the run is no longer queued. */
  position: number | null;
  estimate: StartEstimate | null;
  /** All queued runs, everyone's. */
  queued: number;
  liveWorkers: number;
  slots: number;
}

export async function getQueuePosition(
  ctx: ServiceContext,
  input: { runId: string; presumedDeadAfterMs?: number; now?: Date },
): Promise<QueuePositionView> {
  const run = await loadRun(ctx, input.runId, "view");
  const status = isRunStatus(run.status) ? run.status : "failed";
  const queue = await estimateQueue(ctx.db, {
    ...(input.now ? { now: input.now } : {}),
    ...(input.presumedDeadAfterMs ? { presumedDeadAfterMs: input.presumedDeadAfterMs } : {}),
  });
  const place = queue.places.get(run.id);
  return {
    runId: run.id,
    // The queue is read after the run: one claimed or cancelled in between has no place (position null).
    status,
    position: place?.position ?? null,
    estimate: place?.estimate ?? null,
    queued: queue.queued,
    liveWorkers: queue.liveWorkers,
    slots: queue.slots,
  };
}
