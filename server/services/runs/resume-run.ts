/**
 * Queues an interrupted (or failed) run again. The worker continues after its last checkpoint; iterations
 * recorded after that checkpoint (when checkpoints are every K) are dropped, because they will be redone
 * and must come out identical to an uninterrupted run. The caller tells the queue (announceQueuedRuns).
 */
import { AppError } from "../../errors";
import type { ServiceContext } from "../context";
import { loadRun } from "./load-run";
import { fairRankFor } from "./queue-placement";
import { rewindToCheckpoint } from "./rewind-to-checkpoint";
import { type RunSummary, toRunSummary } from "./run-views";

const RESUMABLE = ["interrupted", "failed"];

export async function resumeRun(ctx: ServiceContext, input: { runId: string }): Promise<RunSummary> {
  const run = await loadRun(ctx, input.runId, "run");
  if (!RESUMABLE.includes(run.status)) {
    throw new AppError("CONFLICT", `Only interrupted or failed runs can resume; this one is ${run.status}.`, {
      status: run.status,
    });
  }
  await ctx.db.$transaction(async (tx) => {
    const { keepThrough, data } = await rewindToCheckpoint(tx, run);
    // It queues again like a new run: its owner's next round-robin turn in its band.
    const fairRank = await fairRankFor(tx, { ownerId: run.ownerId, priority: run.priority });
    const changed = await tx.run.updateMany({
      where: { id: run.id, status: run.status },
      data: {
        status: "queued",
        error: null,
        errorNodeId: null,
        finishedAt: null,
        cancelRequestedAt: null,
        workerId: null,
        leaseExpiresAt: null,
        // A person asked for another go: the crash budget (DNO_WORKER_MAX_ATTEMPTS) starts over.
        attempts: 0,
        fairRank,
        ...data,
      },
    });
    if (changed.count !== 1)
      throw new AppError("CONFLICT", "The run changed while resuming it; reload and try again.");
    await tx.runLogEntry.create({
      data: {
        runId: run.id,
        message:
          keepThrough >= 0 ? `Resuming after iteration ${keepThrough}.` : "Restarting from the beginning.",
      },
    });
  });
  const updated = await ctx.db.run.findUniqueOrThrow({
    where: { id: run.id },
    include: { workflowVersion: { select: { number: true } } },
  });
  return toRunSummary(updated);
}
