/**
 * Queues an interrupted (or failed) run again. The worker continues after its last checkpoint; iterations
 * recorded after that checkpoint (when checkpoints are every K) are dropped, because they will be redone
 * and must come out identical to an uninterrupted run.
 */
import { AppError } from "../../errors";
import type { ServiceContext } from "../context";
import { loadRun } from "./load-run";
import { type RunSummary, toRunSummary } from "./run-views";

const RESUMABLE = ["interrupted", "failed"];

export async function resumeRun(ctx: ServiceContext, input: { runId: string }): Promise<RunSummary> {
  const run = await loadRun(ctx, input.runId, "run");
  if (!RESUMABLE.includes(run.status)) {
    throw new AppError("CONFLICT", `Only interrupted or failed runs can resume; this one is ${run.status}.`, {
      status: run.status,
    });
  }
  const keepThrough = run.checkpointArtifactId ? (run.checkpointIteration ?? -1) : -1;
  await ctx.db.$transaction(async (tx) => {
    await tx.runStep.deleteMany({ where: { runId: run.id, iteration: { gt: keepThrough } } });
    const steps = await tx.runStep.findMany({
      where: { runId: run.id },
      select: { iteration: true, metrics: true },
    });
    // Best-so-far must only reflect the iterations that are kept.
    let bestIteration: number | null = null;
    let bestReward: number | null = null;
    for (const step of steps) {
      const objective = (JSON.parse(step.metrics) as { objective?: unknown }).objective;
      if (
        typeof objective === "number" &&
        Number.isFinite(objective) &&
        (bestReward === null || objective > bestReward)
      ) {
        bestReward = objective;
        bestIteration = step.iteration;
      }
    }
    const changed = await tx.run.updateMany({
      where: { id: run.id, status: run.status },
      data: {
        status: "queued",
        error: null,
        errorNodeId: null,
        finishedAt: null,
        cancelRequestedAt: null,
        workerId: null,
        iterationsDone: keepThrough + 1,
        bestIteration,
        bestReward,
        ...(run.checkpointArtifactId ? {} : { checkpointIteration: null }),
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
