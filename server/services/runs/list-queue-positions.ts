/** The queue places of one workflow's queued runs (the runs list), for whoever may view the workflow. */
import type { ServiceContext } from "../context";
import { loadWorkflow } from "../workflows/load-workflow";
import { estimateQueue, type QueuePlace } from "./queue-position";

export interface WorkflowQueueView {
  /** This workflow's queued runs, best placed first. */
  places: QueuePlace[];
  /** All queued runs, everyone's. */
  queued: number;
  liveWorkers: number;
  slots: number;
}

export async function listQueuePositions(
  ctx: ServiceContext,
  input: { workflowId: string; presumedDeadAfterMs?: number; now?: Date },
): Promise<WorkflowQueueView> {
  const workflow = await loadWorkflow(ctx, input.workflowId, "view");
  const mine = await ctx.db.run.findMany({
    where: { workflowId: workflow.id, status: "queued" },
    select: { id: true },
  });
  const queue = await estimateQueue(ctx.db, {
    ...(input.now ? { now: input.now } : {}),
    ...(input.presumedDeadAfterMs ? { presumedDeadAfterMs: input.presumedDeadAfterMs } : {}),
  });
  const places = mine
    .flatMap((run) => {
      const place = queue.places.get(run.id);
      return place ? [place] : [];
    })
    .sort((a, b) => a.position - b.position);
  return { places, queued: queue.queued, liveWorkers: queue.liveWorkers, slots: queue.slots };
}
