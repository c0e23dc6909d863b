import { notFound } from "../../errors";
import { assertCanAccessWorkflow, type WorkflowAction } from "../authorization";
import type { ServiceContext } from "../context";

/** A run of a live workflow, after checking the actor may do `action` on that workflow. */
export async function loadRun(ctx: ServiceContext, runId: string, action: WorkflowAction) {
  const run = await ctx.db.run.findFirst({
    where: { id: runId, workflow: { deletedAt: null } },
    include: { workflow: true, workflowVersion: { select: { number: true } } },
  });
  if (!run) throw notFound("Run", runId);
  assertCanAccessWorkflow(ctx.actor, run.workflow, action);
  return run;
}
