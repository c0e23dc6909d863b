/** A workflow's proposals, open ones first then newest first, with the asking person's role (for buttons). */
import type { WorkflowRole } from "../authorization";
import type { ServiceContext } from "../context";
import { loadWorkflow } from "../workflows/load-workflow";
import {
  type ProposalStatus,
  type ProposalSummary,
  proposalInclude,
  toProposalSummary,
} from "./proposal-views";

export async function listProposals(
  ctx: ServiceContext,
  input: { workflowId: string; status?: ProposalStatus },
): Promise<{ role: WorkflowRole; proposals: ProposalSummary[] }> {
  const workflow = await loadWorkflow(ctx, input.workflowId, "view");
  const rows = await ctx.db.proposal.findMany({
    where: { workflowId: workflow.id, ...(input.status ? { status: input.status } : {}) },
    include: proposalInclude,
    orderBy: { createdAt: "desc" },
    take: 500,
  });
  const deciders = await ctx.db.user.findMany({
    where: { id: { in: rows.flatMap((row) => (row.decidedById ? [row.decidedById] : [])) } },
    select: { id: true, name: true },
  });
  const proposals = rows.map((row) =>
    toProposalSummary(row, deciders.find((user) => user.id === row.decidedById)?.name ?? null),
  );
  // Open ones first (they wait for a decision), each group newest first.
  proposals.sort((a, b) => Number(b.status === "open") - Number(a.status === "open"));
  return { role: workflow.role, proposals };
}
