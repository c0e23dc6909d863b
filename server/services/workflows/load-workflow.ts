import { AppError } from "../../errors";
import {
  assertCanOnWorkflow,
  assertSignedIn,
  type NotFoundAs,
  notVisible,
  type WorkflowAction,
} from "../authorization";
import type { ServiceContext } from "../context";

export const WORKFLOW_IN_TRASH_MESSAGE = "This workflow is in the trash; restore it to open it.";

/** A live (not deleted) workflow with its head version, after checking the actor may do `action` on it. */
export async function loadWorkflow(
  ctx: ServiceContext,
  workflowId: string,
  action: WorkflowAction,
  notFoundAs?: NotFoundAs,
) {
  // Anonymous visitors hear "sign in" whether or not the id exists.
  assertSignedIn(ctx.actor);
  const workflow = await ctx.db.workflow.findUnique({
    where: { id: workflowId },
    include: { headVersion: true },
  });
  if (!workflow) throw notVisible("Workflow", workflowId);
  if (workflow.deletedAt) {
    // Said only to those who may see it; others learn no more than from an unknown id.
    await assertCanOnWorkflow(ctx, workflow, "view", notFoundAs);
    throw new AppError("NOT_FOUND", WORKFLOW_IN_TRASH_MESSAGE, { id: workflowId, inTrash: true });
  }
  const role = await assertCanOnWorkflow(ctx, workflow, action, notFoundAs);
  return Object.assign(workflow, { role });
}
