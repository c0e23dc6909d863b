/** A worker that stopped cleanly (its runs released or finished) says so: the admin page shows it stopped. */
import type { ServiceContext } from "../context";

export async function stopWorker(ctx: ServiceContext, input: { id: string }): Promise<void> {
  const now = new Date();
  await ctx.db.worker.updateMany({ where: { id: input.id }, data: { stoppedAt: now, lastHeartbeatAt: now } });
}
