/**
 * A live worker's heartbeat on its Worker row (the admin page tells live from presumed dead by it; the
 * runs' own leases are renewed by renew-run-leases.ts in the same tick).
 */
import type { ServiceContext } from "../context";

export async function heartbeatWorker(ctx: ServiceContext, input: { id: string }): Promise<void> {
  await ctx.db.worker.updateMany({ where: { id: input.id }, data: { lastHeartbeatAt: new Date() } });
}
