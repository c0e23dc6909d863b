/**
 * The holder's heartbeat on its runs: each lease is pushed `leaseMs` into the future, conditionally on the
 * run still being this holder's (`running`, its worker id and, when given, its claim count). A run whose
 * renewal matches nothing was taken from this holder (reaped after a missed lease, cancelled and finished
 * elsewhere): the holder must abort it without writing anything more.
 */
import type { ServiceContext } from "../context";

export interface RenewRunLeasesInput {
  workerId: string;
  leaseMs: number;
  /** The runs to renew, with the claim count they were claimed under (omit it to renew by worker id only). */
  runs: { id: string; attempt?: number }[];
}

/** Answers the ids of the runs whose lease this holder no longer has. */
export async function renewRunLeases(ctx: ServiceContext, input: RenewRunLeasesInput): Promise<string[]> {
  const now = new Date();
  const leaseExpiresAt = new Date(now.getTime() + input.leaseMs);
  const lost: string[] = [];
  for (const run of input.runs) {
    const renewed = await ctx.db.run.updateMany({
      where: {
        id: run.id,
        status: "running",
        workerId: input.workerId,
        ...(run.attempt !== undefined ? { attempts: run.attempt } : {}),
      },
      data: { leaseExpiresAt, lastHeartbeatAt: now },
    });
    if (renewed.count === 0) lost.push(run.id);
  }
  return lost;
}
