import { AppError } from "../../errors";
import { assertCanOnWorkflow, assertSignedIn } from "../authorization";
import { recordActivity } from "../activity/record-activity";
import type { ServiceContext } from "../context";
import { toWorkflowSummary, type WorkflowSummary } from "./views";

/** Takes a workflow out of the trash, exactly as it was (versions, runs and artifacts never left). */
export async function restoreWorkflow(
  ctx: ServiceContext,
  input: { workflowId: string },
): Promise<WorkflowSummary> {
  assertSignedIn(ctx.actor);
  const workflow = await ctx.db.workflow.findFirst({
    where: { id: input.workflowId, deletedAt: { not: null } },
  });
  if (!workflow) {
    throw new AppError("NOT_FOUND", `Workflow “${input.workflowId}” is not in the trash.`, {
      id: input.workflowId,
    });
  }
  await assertCanOnWorkflow(ctx, workflow, "delete");
  const restored = await ctx.db.workflow.update({
    where: { id: workflow.id },
    data: { deletedAt: null },
    include: { headVersion: true },
  });
  await recordActivity(ctx, { workflowId: workflow.id, kind: "restored" });
  return toWorkflowSummary(restored);
}
