/** Declines an open proposal with a comment saying why (owner or editor); its author is notified. */
import { AppError } from "../../errors";
import { recordActivity } from "../activity/record-activity";
import type { ServiceContext } from "../context";
import { notifyUsers } from "../notifications/notify-users";
import {
  assertOpen,
  loadProposal,
  nameOfUser,
  type ProposalSummary,
  proposalInclude,
  toProposalSummary,
} from "./proposal-views";

export async function declineProposal(
  ctx: ServiceContext,
  input: { proposalId: string; comment: string },
): Promise<ProposalSummary> {
  const { proposal, workflow } = await loadProposal(ctx, input.proposalId, "edit");
  assertOpen(proposal);
  const comment = input.comment.trim();
  if (comment === "") {
    throw new AppError(
      "VALIDATION",
      `Say why you decline “${proposal.title}”: ${proposal.author.name} sees your comment.`,
      { issues: [{ message: "A comment is required to decline.", path: ["comment"] }] },
    );
  }
  const decided = await ctx.db.proposal.updateMany({
    where: { id: proposal.id, status: "open" },
    data: {
      status: "declined",
      decidedById: ctx.actor.userId,
      decidedAt: new Date(),
      decisionComment: comment,
    },
  });
  if (decided.count !== 1) {
    assertOpen(await ctx.db.proposal.findUniqueOrThrow({ where: { id: proposal.id } }));
  }
  const deciderName = await nameOfUser(ctx, ctx.actor.userId);
  await recordActivity(ctx, {
    workflowId: workflow.id,
    kind: "declined",
    data: {
      proposalId: proposal.id,
      title: proposal.title,
      authorId: proposal.authorId,
      authorName: proposal.author.name,
    },
  });
  await notifyUsers(ctx, {
    userIds: [proposal.authorId],
    kind: "proposal-decided",
    workflowId: workflow.id,
    data: {
      proposalId: proposal.id,
      title: proposal.title,
      workflowName: workflow.name,
      decision: "declined",
      comment: comment.slice(0, 200),
      actorName: deciderName,
      href: `/workflows/${workflow.id}/proposals/${proposal.id}`,
    },
  });
  const row = await ctx.db.proposal.findUniqueOrThrow({
    where: { id: proposal.id },
    include: proposalInclude,
  });
  return toProposalSummary(row, deciderName);
}
