/**
 * What the proposal services share: loading a proposal with the access check of its workflow, checking a
 * proposed document exactly like a save, the plain object handed out, and who hears about proposals.
 *
 * A proposal is a draft branched from a version (baseVersionId): a reviewer's (or editor's) changed
 * document, run and discussed, never a version of the workflow until someone with edit access accepts it.
 */
import type { GraphDocument } from "@/nodes";
import type { Proposal } from "../../db/generated/prisma/client";
import { AppError, notFound } from "../../errors";
import type { WorkflowAction, WorkflowRole } from "../authorization";
import type { ServiceContext } from "../context";
import { assertReferencesExist } from "../workflows/check-references";
import { assertSavable, readStoredDocument, readSubmittedDocument } from "../workflows/graph-document";
import { loadWorkflow } from "../workflows/load-workflow";

export const PROPOSAL_STATUSES = ["open", "accepted", "declined", "withdrawn"] as const;
export type ProposalStatus = (typeof PROPOSAL_STATUSES)[number];

export const MAX_PROPOSAL_TITLE_LENGTH = 200;
export const MAX_PROPOSAL_TEXT_LENGTH = 5000;

export interface ProposalSummary {
  id: string;
  workflowId: string;
  baseVersionId: string;
  baseVersionNumber: number;
  authorId: string;
  authorName: string;
  title: string;
  description: string;
  status: ProposalStatus;
  decidedById: string | null;
  decidedByName: string | null;
  decidedAt: Date | null;
  decisionComment: string | null;
  /** The version made by accepting it. */
  acceptedVersionNumber: number | null;
  runCount: number;
  createdAt: Date;
  updatedAt: Date;
}

function isProposalStatus(value: string): value is ProposalStatus {
  return (PROPOSAL_STATUSES as readonly string[]).includes(value);
}

export type ProposalRow = Proposal & {
  baseVersion: { number: number };
  author: { name: string };
  acceptedVersion: { number: number } | null;
  _count: { runs: number };
};

export const proposalInclude = {
  baseVersion: { select: { number: true } },
  author: { select: { name: true } },
  acceptedVersion: { select: { number: true } },
  _count: { select: { runs: true } },
} as const;

export function toProposalSummary(row: ProposalRow, decidedByName: string | null): ProposalSummary {
  return {
    id: row.id,
    workflowId: row.workflowId,
    baseVersionId: row.baseVersionId,
    baseVersionNumber: row.baseVersion.number,
    authorId: row.authorId,
    authorName: row.author.name,
    title: row.title,
    description: row.description,
    status: isProposalStatus(row.status) ? row.status : "open",
    decidedById: row.decidedById,
    decidedByName,
    decidedAt: row.decidedAt,
    decisionComment: row.decisionComment,
    acceptedVersionNumber: row.acceptedVersion?.number ?? null,
    runCount: row._count.runs,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export async function nameOfUser(ctx: ServiceContext, userId: string | null): Promise<string | null> {
  if (!userId) return null;
  const user = await ctx.db.user.findUnique({ where: { id: userId }, select: { name: true } });
  return user?.name ?? null;
}

/**
 * A proposal of a live workflow after checking the actor may do `action` on that workflow. Someone who
 * cannot see the workflow gets the same NOT_FOUND as for an unknown id.
 */
export async function loadProposal(ctx: ServiceContext, proposalId: string, action: WorkflowAction) {
  const proposal = await ctx.db.proposal.findUnique({ where: { id: proposalId }, include: proposalInclude });
  if (!proposal) {
    if (ctx.actor.userId === null && !ctx.actor.system) {
      throw new AppError("UNAUTHORIZED", "Sign in to continue.");
    }
    throw notFound("Proposal", proposalId);
  }
  const workflow = await loadWorkflow(ctx, proposal.workflowId, action);
  return { proposal, workflow, role: workflow.role as WorkflowRole };
}

export function proposalDocument(proposal: Pick<Proposal, "document" | "title">): GraphDocument {
  return readStoredDocument(proposal.document, `the proposal “${proposal.title}”`);
}

/** Only open proposals change; the sentence says what happened to it instead. */
export function assertOpen(proposal: Pick<Proposal, "status" | "title">): void {
  if (proposal.status === "open") return;
  const what =
    proposal.status === "accepted"
      ? "was accepted"
      : proposal.status === "declined"
        ? "was declined"
        : "was withdrawn";
  throw new AppError(
    "CONFLICT",
    `The proposal “${proposal.title}” ${what}; it can no longer be changed, run or decided. Start a new proposal from the current version.`,
    { status: proposal.status },
  );
}

/** The same checks as a save (graph validation with located issues, models and uploads exist). */
export async function checkProposedDocument(
  ctx: ServiceContext,
  input: unknown,
  what: string,
): Promise<GraphDocument> {
  const document = readSubmittedDocument(input);
  assertSavable(document, what);
  await assertReferencesExist(ctx, document, what);
  return document;
}

/** The owner and the editors of a workflow: who decides proposals. */
export async function deciderIds(
  ctx: ServiceContext,
  workflow: { id: string; ownerId: string | null },
): Promise<string[]> {
  const editors = await ctx.db.workflowShare.findMany({
    where: { workflowId: workflow.id, role: "editor" },
    select: { userId: true },
  });
  return [...(workflow.ownerId ? [workflow.ownerId] : []), ...editors.map((share) => share.userId)];
}
