/**
 * Before a run is queued again (a manual resume, a reaped lease, a worker releasing it on shutdown): drop the
 * iterations recorded after its last checkpoint (they will be redone and must come out identical to an
 * uninterrupted run) and recompute the best-so-far from the kept ones. Runs inside the caller's transaction;
 * answers the Run fields to write with the status change.
 */
import type { DbTransaction } from "../../db/client";

export interface RewoundRun {
  /** The last kept iteration (the checkpoint's), or -1 when the run starts over. */
  keepThrough: number;
  data: {
    iterationsDone: number;
    bestIteration: number | null;
    bestReward: number | null;
    checkpointIteration?: null;
  };
}

export async function rewindToCheckpoint(
  tx: DbTransaction,
  run: { id: string; checkpointArtifactId: string | null; checkpointIteration: number | null },
): Promise<RewoundRun> {
  const keepThrough = run.checkpointArtifactId ? (run.checkpointIteration ?? -1) : -1;
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
  return {
    keepThrough,
    data: {
      iterationsDone: keepThrough + 1,
      bestIteration,
      bestReward,
      ...(run.checkpointArtifactId ? {} : { checkpointIteration: null }),
    },
  };
}
