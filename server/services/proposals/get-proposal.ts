/**
 * One proposal as its page shows it: the readable diff from its base version, its runs and the base run to
 * compare them with, whether accepting it now would apply cleanly (the head may have moved), and what the
 * asking person may do with it.
 */
import type { GraphDocument } from "@/nodes";
import { mergeGraphs } from "@/nodes/graph/merge-graphs";
import { diffGraphs, type GraphDiff } from "@/nodes/graph/readable-diff";
import { roleAllows, type WorkflowRole } from "../authorization";
import type { ServiceContext } from "../context";
import { type RunSummary, toRunSummary } from "../runs/run-views";
import { readStoredDocument } from "../workflows/graph-document";
import {
  loadProposal,
  nameOfUser,
  type ProposalSummary,
  proposalDocument,
  toProposalSummary,
} from "./proposal-views";

export interface ProposalDetail extends ProposalSummary {
  workflowName: string;
  role: WorkflowRole;
  document: GraphDocument;
  baseDocument: GraphDocument;
  /** From the base version to the proposal. */
  diff: GraphDiff;
  /** The proposal's runs, newest first. */
  runs: RunSummary[];
  /** The run to compare with: the one the review started from, else the base version's newest run. */
  baseRun: RunSummary | null;
  head: {
    versionId: string;
    number: number;
    /** Saved since the proposal was branched. */
    moved: boolean;
    /** When moved: what stops the proposal from applying to the head (empty = applies cleanly). */
    conflicts: string[];
  };
  can: { edit: boolean; run: boolean; decide: boolean; withdraw: boolean };
}

export async function getProposal(
  ctx: ServiceContext,
  input: { proposalId: string },
): Promise<ProposalDetail> {
  const { proposal, workflow, role } = await loadProposal(ctx, input.proposalId, "view");
  const base = await ctx.db.workflowVersion.findUniqueOrThrow({ where: { id: proposal.baseVersionId } });
  const baseDocument = readStoredDocument(base.document, `version ${base.number} of “${workflow.name}”`);
  const document = proposalDocument(proposal);
  const runs = await ctx.db.run.findMany({
    where: { proposalId: proposal.id },
    include: { workflowVersion: { select: { number: true } } },
    orderBy: { createdAt: "desc" },
    take: 50,
  });
  const revisedId = runs.find((run) => run.revisesRunId !== null)?.revisesRunId ?? null;
  const baseRun = await ctx.db.run.findFirst({
    where: revisedId
      ? { id: revisedId, workflowId: workflow.id }
      : { workflowVersionId: base.id, proposalId: null },
    include: { workflowVersion: { select: { number: true } } },
    orderBy: { createdAt: "desc" },
  });
  const head = workflow.headVersion;
  const moved = head !== null && head.id !== base.id;
  let conflicts: string[] = [];
  if (moved && head) {
    const merged = mergeGraphs(
      baseDocument,
      document,
      readStoredDocument(head.document, `version ${head.number} of “${workflow.name}”`),
    );
    conflicts = merged.ok ? [] : merged.conflicts;
  }
  const open = proposal.status === "open";
  const isAuthor = proposal.authorId === ctx.actor.userId;
  return {
    ...toProposalSummary(proposal, await nameOfUser(ctx, proposal.decidedById)),
    workflowName: workflow.name,
    role,
    document,
    baseDocument,
    diff: diffGraphs(baseDocument, document),
    runs: runs.map((run) => toRunSummary(run)),
    baseRun: baseRun ? toRunSummary(baseRun) : null,
    head: { versionId: head?.id ?? base.id, number: head?.number ?? base.number, moved, conflicts },
    can: {
      edit: open && isAuthor && roleAllows(role, "propose"),
      run: open && ((isAuthor && roleAllows(role, "propose")) || roleAllows(role, "run")),
      decide: open && roleAllows(role, "edit"),
      withdraw: open && isAuthor,
    },
  };
}
