/**
 * At server start: runs still `running` belong to a process that is gone (the embedded worker lives in
 * this process), so they become `interrupted`, keeping their iterations and checkpoint for `resumeRun`.
 * With workers in other processes, pass `workerIds` of the dead ones (or a heartbeat cutoff) instead.
 */
import type { ServiceContext } from "../context";

export interface RecoverInterruptedRunsInput {
  /** Only runs whose heartbeat is older than this (default: every running run). */
  heartbeatBefore?: Date;
  /** Only runs held by these workers. */
  workerIds?: string[];
  /** What interrupted them, for the run's log (default "a server restart"). */
  reason?: string;
}

export async function recoverInterruptedRuns(
  ctx: ServiceContext,
  input: RecoverInterruptedRunsInput = {},
): Promise<string[]> {
  const runs = await ctx.db.run.findMany({
    where: {
      status: "running",
      ...(input.workerIds ? { workerId: { in: input.workerIds } } : {}),
      ...(input.heartbeatBefore
        ? { OR: [{ lastHeartbeatAt: null }, { lastHeartbeatAt: { lt: input.heartbeatBefore } }] }
        : {}),
    },
    select: { id: true, checkpointIteration: true },
  });
  const reason = input.reason ?? "a server restart";
  const recovered: string[] = [];
  for (const run of runs) {
    const changed = await ctx.db.run.updateMany({
      where: { id: run.id, status: "running" },
      data: { status: "interrupted", finishedAt: new Date(), workerId: null },
    });
    if (changed.count === 0) continue;
    recovered.push(run.id);
    await ctx.db.runLogEntry.create({
      data: {
        runId: run.id,
        level: "warning",
        message:
          run.checkpointIteration === null
            ? `Interrupted by ${reason} before its first checkpoint; resuming starts it over.`
            : `Interrupted by ${reason}; it can resume after iteration ${run.checkpointIteration}.`,
      },
    });
  }
  return recovered;
}
