/**
 * A stopping worker hands a run back (graceful shutdown): fenced on its claim, the run returns to `queued`
 * from its last checkpoint (steps after it are dropped and will be redone identically), the lease is freed
 * and the claim does not count against the crash budget (DNO_WORKER_MAX_ATTEMPTS). The caller tells the
 * queue. Answers false when the worker no longer held it.
 */
import type { ServiceContext } from "../context";
import { rewindToCheckpoint } from "./rewind-to-checkpoint";

export interface ReleaseRunInput {
  runId: string;
  workerId: string;
  attempt: number;
}

export async function releaseRun(ctx: ServiceContext, input: ReleaseRunInput): Promise<boolean> {
  return ctx.db
    .$transaction(async (tx) => {
      const holder = {
        id: input.runId,
        status: "running",
        workerId: input.workerId,
        attempts: input.attempt,
      };
      // A write first (SQLite takes its write lock before anything is read); it also checks the holder.
      const held = await tx.run.updateMany({ where: holder, data: { lastHeartbeatAt: new Date() } });
      if (held.count === 0) return false;
      const run = await tx.run.findUniqueOrThrow({ where: { id: input.runId } });
      const { keepThrough, data } = await rewindToCheckpoint(tx, run);
      const changed = await tx.run.updateMany({
        where: holder,
        data: {
          status: "queued",
          workerId: null,
          leaseExpiresAt: null,
          attempts: Math.max(0, input.attempt - 1),
          ...data,
        },
      });
      if (changed.count === 0) throw new NoLongerHeld();
      await tx.runLogEntry.create({
        data: {
          runId: input.runId,
          message:
            `Worker ${input.workerId} stopped and handed the run back; queued again to ` +
            (keepThrough >= 0
              ? `continue after iteration ${keepThrough}.`
              : "start over (no checkpoint yet)."),
        },
      });
      return true;
    })
    .catch((error: unknown) => {
      if (error instanceof NoLongerHeld) return false;
      throw error;
    });
}

class NoLongerHeld extends Error {}
