import { AppError } from "../../errors";
import { assertCanOnWorkflow, assertSignedIn, notVisible, type WorkflowAction } from "../authorization";
import type { ServiceContext } from "../context";

/** A run of a live workflow, after checking the actor may do `action` on that workflow. */
export async function loadRun(ctx: ServiceContext, runId: string, action: WorkflowAction) {
  assertSignedIn(ctx.actor);
  const run = await ctx.db.run.findUnique({
    where: { id: runId },
    include: { workflow: true, workflowVersion: { select: { number: true } } },
  });
  if (!run) throw notVisible("Run", runId);
  const asked = { what: "Run", id: runId };
  if (run.workflow.deletedAt) {
    await assertCanOnWorkflow(ctx, run.workflow, "view", asked);
    throw new AppError(
      "NOT_FOUND",
      "This run's workflow is in the trash; restore the workflow to open its runs.",
      {
        id: runId,
        inTrash: true,
      },
    );
  }
  const role = await assertCanOnWorkflow(ctx, run.workflow, action, asked);
  return Object.assign(run, { role });
}
