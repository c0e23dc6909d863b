/** Iterations of a run after a given one: the catch-up a late (or reconnecting) progress subscriber needs. */
import type { ServiceContext } from "../context";
import { loadRun } from "./load-run";
import { type RunStepView, type RunSummary, toRunStepView, toRunSummary } from "./run-views";

export async function listRunSteps(
  ctx: ServiceContext,
  input: { runId: string; afterIteration?: number; limit?: number },
): Promise<{ run: RunSummary; steps: RunStepView[] }> {
  const run = await loadRun(ctx, input.runId, "view");
  const steps = await ctx.db.runStep.findMany({
    where: { runId: run.id, iteration: { gt: input.afterIteration ?? -1 } },
    orderBy: { iteration: "asc" },
    take: input.limit ?? 1000,
  });
  return { run: toRunSummary(run), steps: steps.map(toRunStepView) };
}
