/**
 * Replaces the document (and optionally the title and description) of one's own open proposal. Checked
 * exactly like a save; a refused document leaves the stored one as it was. `baseVersionId` moves the
 * proposal onto a newer version of the workflow (after the author merged the head's changes in review mode).
 */
import { AppError } from "../../errors";
import type { ServiceContext } from "../context";
import { loadVersionOfWorkflow } from "../versions/load-version";
import { toStoredDocument } from "../workflows/graph-document";
import {
  assertOpen,
  checkProposedDocument,
  loadProposal,
  type ProposalSummary,
  proposalInclude,
  toProposalSummary,
} from "./proposal-views";

export async function updateProposal(
  ctx: ServiceContext,
  input: {
    proposalId: string;
    document?: unknown;
    title?: string;
    description?: string;
    baseVersionId?: string;
  },
): Promise<ProposalSummary> {
  const { proposal, workflow } = await loadProposal(ctx, input.proposalId, "propose");
  if (proposal.authorId !== ctx.actor.userId) {
    throw new AppError(
      "FORBIDDEN",
      `Only ${proposal.author.name}, who wrote the proposal “${proposal.title}”, can change it. Start your own proposal instead.`,
    );
  }
  assertOpen(proposal);
  const document =
    input.document === undefined
      ? undefined
      : await checkProposedDocument(ctx, input.document, `The proposal “${proposal.title}” was not updated`);
  const base =
    input.baseVersionId === undefined
      ? undefined
      : await loadVersionOfWorkflow(ctx, workflow.id, input.baseVersionId);
  const row = await ctx.db.proposal.update({
    where: { id: proposal.id },
    data: {
      ...(document ? toStoredDocument(document) : {}),
      ...(input.title?.trim() ? { title: input.title.trim() } : {}),
      ...(input.description !== undefined ? { description: input.description.trim() } : {}),
      ...(base ? { baseVersionId: base.id } : {}),
    },
    include: proposalInclude,
  });
  return toProposalSummary(row, null);
}
