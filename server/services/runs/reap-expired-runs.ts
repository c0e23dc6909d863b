/**
 * The lease reaper (any worker runs it periodically; the embedded supervisor runs it for a child it saw die):
 * a `running` run whose lease has expired belongs to a worker presumed dead, so it goes back to `queued`,
 * keeping its steps up to the last checkpoint, and the next worker resumes it from there bit-identically.
 * A run claimed `maxAttempts` times already fails with a sentence instead (a run that takes its worker down
 * every time must not take every worker down). Runs whose lease is alive are never touched: that is what
 * lets several workers start and stop next to each other.
 */
import type { ServiceContext } from "../context";
import { announceFinishedRun } from "./finish-run";
import { rewindToCheckpoint } from "./rewind-to-checkpoint";

export interface ReapExpiredRunsInput {
  /** Rows without a lease (written before leases existed) count as expired this long after their heartbeat. */
  leaseMs: number;
  maxAttempts: number;
  /**
   * Only runs of these workers, whatever their lease (the caller knows they are gone: a supervisor whose
   * child exited). Without it, only runs whose lease has expired.
   */
  workerIds?: string[];
  now?: Date;
}

export interface ReapedRuns {
  requeued: string[];
  failed: string[];
}

export async function reapExpiredRuns(ctx: ServiceContext, input: ReapExpiredRunsInput): Promise<ReapedRuns> {
  const now = input.now ?? new Date();
  const heartbeatCutoff = new Date(now.getTime() - input.leaseMs);
  const candidates = await ctx.db.run.findMany({
    where: {
      status: "running",
      ...(input.workerIds
        ? { workerId: { in: input.workerIds } }
        : {
            OR: [
              { leaseExpiresAt: { lt: now } },
              {
                leaseExpiresAt: null,
                OR: [{ lastHeartbeatAt: null }, { lastHeartbeatAt: { lt: heartbeatCutoff } }],
              },
            ],
          }),
    },
    select: {
      id: true,
      workerId: true,
      attempts: true,
      leaseExpiresAt: true,
      lastHeartbeatAt: true,
      checkpointArtifactId: true,
      checkpointIteration: true,
    },
    orderBy: { id: "asc" },
  });
  const reaped: ReapedRuns = { requeued: [], failed: [] };
  for (const run of candidates) {
    const worker = run.workerId ?? "unknown";
    const giveUp = run.attempts >= input.maxAttempts;
    const outcome = await ctx.db.$transaction(async (tx) => {
      // First, and conditional on exactly what was seen (holder, claim, lease, heartbeat): a renewal, a
      // recorded step or another reaper in between wins. Taking the holder off the row first also locks it,
      // so the holder's own fenced writes wait for this transaction and then find the run gone.
      const fence = {
        id: run.id,
        status: "running",
        workerId: run.workerId,
        attempts: run.attempts,
        ...(input.workerIds
          ? {}
          : { leaseExpiresAt: run.leaseExpiresAt, lastHeartbeatAt: run.lastHeartbeatAt }),
      };
      const taken = await tx.run.updateMany({ where: fence, data: { workerId: null, leaseExpiresAt: null } });
      if (taken.count === 0) return null;
      if (giveUp) {
        const error =
          `Its worker stopped responding ${run.attempts} times while running it (last: worker ${worker}), so it ` +
          "was not started again. Check the workers' logs (memory, device), then resume the run to try once more.";
        await tx.run.update({ where: { id: run.id }, data: { status: "failed", error, finishedAt: now } });
        await tx.runLogEntry.create({
          data: { runId: run.id, level: "error", message: `Failed: ${error}` },
        });
        return "failed" as const;
      }
      const { keepThrough, data } = await rewindToCheckpoint(tx, run);
      await tx.run.update({ where: { id: run.id }, data: { status: "queued", ...data } });
      await tx.runLogEntry.create({
        data: {
          runId: run.id,
          level: "warning",
          message:
            `Worker ${worker} ${input.workerIds ? "exited" : "stopped renewing its lease"}; queued again to ` +
            (keepThrough >= 0
              ? `continue after iteration ${keepThrough}.`
              : "start over (no checkpoint yet)."),
        },
      });
      return "requeued" as const;
    });
    if (outcome === "requeued") {
      reaped.requeued.push(run.id);
      console.warn(`Run ${run.id}: worker ${worker} stopped renewing its lease; the run is queued again.`);
    } else if (outcome === "failed") {
      reaped.failed.push(run.id);
      console.warn(
        `Run ${run.id}: worker ${worker} stopped renewing its lease; attempt ${run.attempts} was the last.`,
      );
      const finished = await ctx.db.run.findUniqueOrThrow({
        where: { id: run.id },
        include: { workflowVersion: { select: { number: true } } },
      });
      await announceFinishedRun(ctx, finished, "failed");
    }
  }
  return reaped;
}
