/**
 * The embedded queue's claim: the first queued run in the shared queue order (queue-order.ts: priority band,
 * round-robin by owner, then age) is claimed with claim-run.ts. A lost race simply looks again.
 */
import type { ServiceContext } from "../context";
import { type ClaimedRun, claimRun } from "./claim-run";
import { QUEUE_ORDER } from "./queue-order";

export type { ClaimedRun } from "./claim-run";

export async function claimNextRun(
  ctx: ServiceContext,
  input: { workerId: string; device: string; leaseMs?: number },
): Promise<ClaimedRun | null> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const candidate = await ctx.db.run.findFirst({
      where: { status: "queued" },
      orderBy: [...QUEUE_ORDER],
      select: { id: true },
    });
    if (!candidate) return null;
    const claimed = await claimRun(ctx, { ...input, runId: candidate.id });
    if (claimed) return claimed;
  }
  return null;
}
