/**
 * A worker takes one queued run: a conditional update `queued → running` (two workers racing for one row
 * cannot both win) that sets the holder, its lease and the claim count, which together fence every later
 * write of this attempt (record-run-step.ts, finish-run.ts). Null when the run is no longer claimable.
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
  /** Run.attempts after this claim: this holder's fencing token. */
  attempt: number;
}

export interface ClaimRunInput {
  runId: string;
  workerId: string;
  device: string;
  /** Default 30 s (DNO_WORKER_LEASE_MS's default). */
  leaseMs?: number;
}

export const DEFAULT_LEASE_MS = 30_000;

export async function claimRun(ctx: ServiceContext, input: ClaimRunInput): Promise<ClaimedRun | null> {
  const now = new Date();
  const claimed = await ctx.db.run.updateMany({
    where: { id: input.runId, status: "queued" },
    data: {
      status: "running",
      workerId: input.workerId,
      device: input.device,
      lastHeartbeatAt: now,
      leaseExpiresAt: new Date(now.getTime() + (input.leaseMs ?? DEFAULT_LEASE_MS)),
      attempts: { increment: 1 },
    },
  });
  if (claimed.count === 0) return null;
  const run = await ctx.db.run.findUniqueOrThrow({ where: { id: input.runId } });
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
    attempt: run.attempts,
  };
}
