import { notFound } from "../../errors";
import { assertCanAccessWorkflow, type WorkflowAction } from "../authorization";
import type { ServiceContext } from "../context";

/** A live (not deleted) workflow with its head version, after checking the actor may do `action` on it. */
export async function loadWorkflow(ctx: ServiceContext, workflowId: string, action: WorkflowAction) {
  const workflow = await ctx.db.workflow.findFirst({
    where: { id: workflowId, deletedAt: null },
    include: { headVersion: true },
  });
  if (!workflow) throw notFound("Workflow", workflowId);
  assertCanAccessWorkflow(ctx.actor, workflow, action);
  return workflow;
}
