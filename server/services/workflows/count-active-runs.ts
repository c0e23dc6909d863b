import type { ServiceContext } from "../context";
import { loadWorkflow } from "./load-workflow";

/** How many of a workflow's runs are queued or running: the delete dialog asks before cancelling them. */
export async function countActiveRuns(
  ctx: ServiceContext,
  input: { workflowId: string },
): Promise<{ running: number; queued: number }> {
  await loadWorkflow(ctx, input.workflowId, "view");
  const groups = await ctx.db.run.groupBy({
    by: ["status"],
    where: { workflowId: input.workflowId, status: { in: ["queued", "running"] } },
    _count: { _all: true },
  });
  const count = (status: string) => groups.find((group) => group.status === status)?._count._all ?? 0;
  return { running: count("running"), queued: count("queued") };
}
