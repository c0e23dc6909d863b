import { accessibleWorkflowFilter, assertSignedIn } from "../authorization";
import type { ServiceContext } from "../context";
import { listingActor } from "./listing-actor";
import { toWorkflowSummary, type WorkflowSummary } from "./views";

export interface DeletedWorkflowSummary extends WorkflowSummary {
  deletedAt: Date;
}

/** The trash: workflows the actor may restore, most recently deleted first. */
export async function listDeletedWorkflows(ctx: ServiceContext): Promise<DeletedWorkflowSummary[]> {
  assertSignedIn(ctx.actor);
  const workflows = await ctx.db.workflow.findMany({
    where: {
      deletedAt: { not: null },
      headVersionId: { not: null },
      ...accessibleWorkflowFilter(listingActor(ctx.actor), "delete"),
    },
    include: { headVersion: true },
    orderBy: [{ deletedAt: "desc" }, { id: "asc" }],
  });
  return workflows.map((workflow) => ({
    ...toWorkflowSummary(workflow),
    deletedAt: workflow.deletedAt ?? new Date(0),
  }));
}
