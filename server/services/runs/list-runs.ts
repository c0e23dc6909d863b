import type { ServiceContext } from "../context";
import { loadWorkflow } from "../workflows/load-workflow";
import { parseJsonRecord, type RunSummary, toRunSummary } from "./run-views";

/**
 * The runs of a workflow, newest first, each with the objective of its first iteration: lists show the
 * best score as what it gained since the start (nodes/kinds/score-display.ts).
 */
export async function listRuns(
  ctx: ServiceContext,
  input: { workflowId: string; limit?: number },
): Promise<(RunSummary & { startObjective?: number | null })[]> {
  const workflow = await loadWorkflow(ctx, input.workflowId, "view");
  const runs = await ctx.db.run.findMany({
    where: { workflowId: workflow.id },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: Math.min(input.limit ?? 200, 500),
    include: { workflowVersion: { select: { number: true } } },
  });
  const firstSteps = await ctx.db.runStep.findMany({
    where: { runId: { in: runs.map((run) => run.id) }, iteration: 0 },
    select: { runId: true, metrics: true },
  });
  const startObjective = new Map(
    firstSteps.map((step) => {
      const objective = parseJsonRecord(step.metrics).objective;
      return [step.runId, typeof objective === "number" ? objective : null] as const;
    }),
  );
  return runs.map((run) => ({ ...toRunSummary(run), startObjective: startObjective.get(run.id) ?? null }));
}
