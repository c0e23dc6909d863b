import type { ServiceContext } from "../context";
import { loadWorkflow } from "../workflows/load-workflow";
import { type RunSummary, toRunSummary } from "./run-views";

/** The runs of a workflow, newest first. */
export async function listRuns(
  ctx: ServiceContext,
  input: { workflowId: string; limit?: number },
): Promise<RunSummary[]> {
  const workflow = await loadWorkflow(ctx, input.workflowId, "view");
  const runs = await ctx.db.run.findMany({
    where: { workflowId: workflow.id },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: Math.min(input.limit ?? 200, 500),
    include: { workflowVersion: { select: { number: true } } },
  });
  return runs.map((run) => toRunSummary(run));
}
