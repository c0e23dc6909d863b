/**
 * The embedded queue's claim: the oldest queued run moves to `running` for this worker. The status change
 * is a conditional update (status still `queued`), so two workers racing for one row cannot both win; the
 * loser simply looks again.
 */
import type { ServiceContext } from "../context";
import { readRunConfig } from "./run-views";

export interface ClaimedRun {
  id: string;
  workflowId: string;
  config: ReturnType<typeof readRunConfig>;
  /** Where to continue from (a resumed run), or null for a fresh start. */
  checkpoint: { artifactId: string; iteration: number } | null;
  iterationsDone: number;
}

export async function claimNextRun(
  ctx: ServiceContext,
  input: { workerId: string; device: string },
): Promise<ClaimedRun | null> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const candidate = await ctx.db.run.findFirst({
      where: { status: "queued" },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      select: { id: true },
    });
    if (!candidate) return null;
    const now = new Date();
    const claimed = await ctx.db.run.updateMany({
      where: { id: candidate.id, status: "queued" },
      data: { status: "running", workerId: input.workerId, device: input.device, lastHeartbeatAt: now },
    });
    if (claimed.count === 0) continue;
    const run = await ctx.db.run.findUniqueOrThrow({ where: { id: candidate.id } });
    // startedAt marks the first start; a resumed run keeps it so durations cover the whole run.
    if (!run.startedAt) await ctx.db.run.update({ where: { id: run.id }, data: { startedAt: now } });
    return {
      id: run.id,
      workflowId: run.workflowId,
      config: readRunConfig(run),
      checkpoint:
        run.checkpointArtifactId && run.checkpointIteration !== null
          ? { artifactId: run.checkpointArtifactId, iteration: run.checkpointIteration }
          : null,
      iterationsDone: run.iterationsDone,
    };
  }
  return null;
}
