/** The author takes back their own open proposal; it stays listed as withdrawn, with its runs. */
import { AppError } from "../../errors";
import type { ServiceContext } from "../context";
import {
  assertOpen,
  loadProposal,
  type ProposalSummary,
  proposalInclude,
  toProposalSummary,
} from "./proposal-views";

export async function withdrawProposal(
  ctx: ServiceContext,
  input: { proposalId: string },
): Promise<ProposalSummary> {
  const { proposal } = await loadProposal(ctx, input.proposalId, "view");
  if (proposal.authorId !== ctx.actor.userId) {
    throw new AppError(
      "FORBIDDEN",
      `Only ${proposal.author.name}, who wrote the proposal “${proposal.title}”, can withdraw it. Decline it instead, with a comment.`,
    );
  }
  assertOpen(proposal);
  const row = await ctx.db.proposal.update({
    where: { id: proposal.id },
    data: { status: "withdrawn", decidedAt: new Date() },
    include: proposalInclude,
  });
  return toProposalSummary(row, null);
}
