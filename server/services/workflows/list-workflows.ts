import { accessibleWorkflowFilter, assertSignedIn } from "../authorization";
import type { ServiceContext } from "../context";
import { listingActor } from "./listing-actor";
import { toWorkflowSummary, type WorkflowSummary } from "./views";

/** Live workflows the actor may read, most recently changed first. */
export async function listWorkflows(ctx: ServiceContext): Promise<WorkflowSummary[]> {
  assertSignedIn(ctx.actor);
  const workflows = await ctx.db.workflow.findMany({
    where: {
      deletedAt: null,
      headVersionId: { not: null },
      ...accessibleWorkflowFilter(listingActor(ctx.actor), "view"),
    },
    include: { headVersion: true },
    orderBy: [{ updatedAt: "desc" }, { id: "asc" }],
  });
  return workflows.map(toWorkflowSummary);
}
