/**
 * Accepts an open proposal (owner or editor): its document becomes the workflow's next version, credited to
 * the proposal's author (authorId), with acceptedById = the decider and proposalId set, message “Accepted
 * proposal “…” by <author>”.
 *
 * If the workflow was saved since the proposal was branched, the proposal's changes are replayed on the
 * current head (three-way merge, nodes/graph/merge-graphs.ts): accepted when they apply cleanly (different
 * params, nodes or links were changed), refused with CONFLICT naming each clash otherwise — the author then
 * updates the proposal from the current version.
 */
import { mergeGraphs } from "@/nodes/graph/merge-graphs";
import { AppError } from "../../errors";
import { recordActivity } from "../activity/record-activity";
import type { ServiceContext } from "../context";
import { notifyUsers } from "../notifications/notify-users";
import { appendVersion } from "../workflows/append-version";
import { assertReferencesExist } from "../workflows/check-references";
import { assertSavable, readStoredDocument } from "../workflows/graph-document";
import type { VersionSummary } from "../workflows/views";
import {
  assertOpen,
  loadProposal,
  nameOfUser,
  type ProposalSummary,
  proposalDocument,
  proposalInclude,
  toProposalSummary,
} from "./proposal-views";

export interface AcceptProposalResult {
  proposal: ProposalSummary;
  version: VersionSummary;
  /** The head had moved: the proposal's changes were replayed on it. */
  merged: boolean;
}

export async function acceptProposal(
  ctx: ServiceContext,
  input: { proposalId: string; comment?: string },
): Promise<AcceptProposalResult> {
  const { proposal, workflow } = await loadProposal(ctx, input.proposalId, "edit");
  assertOpen(proposal);
  const head = workflow.headVersion;
  if (!head) throw new AppError("INTERNAL", `Workflow “${workflow.name}” has no versions.`);
  let document = proposalDocument(proposal);
  let merged = false;
  if (head.id !== proposal.baseVersionId) {
    const base = await ctx.db.workflowVersion.findUniqueOrThrow({ where: { id: proposal.baseVersionId } });
    const result = mergeGraphs(
      readStoredDocument(base.document, `version ${base.number} of “${workflow.name}”`),
      document,
      readStoredDocument(head.document, `version ${head.number} of “${workflow.name}”`),
    );
    if (!result.ok) {
      throw new AppError(
        "CONFLICT",
        `Version ${head.number} was saved after this proposal was made from version ${base.number}, and both change the same things: ${result.conflicts.join(" ")} Ask ${proposal.author.name} to update the proposal from version ${head.number}, or decline it.`,
        { conflicts: result.conflicts, headVersionId: head.id, headVersionNumber: head.number },
      );
    }
    document = result.document;
    merged = true;
  }
  const what = `Accepting “${proposal.title}” would give a workflow that cannot be saved`;
  assertSavable(document, what);
  await assertReferencesExist(ctx, document, what);

  const decidedById = ctx.actor.userId;
  const comment = input.comment?.trim() || null;
  // Claim the decision first: of two people accepting at once, one wins and the other gets CONFLICT.
  const claimed = await ctx.db.proposal.updateMany({
    where: { id: proposal.id, status: "open" },
    data: { status: "accepted", decidedById, decidedAt: new Date(), decisionComment: comment },
  });
  if (claimed.count !== 1) {
    assertOpen(await ctx.db.proposal.findUniqueOrThrow({ where: { id: proposal.id } }));
  }
  let version: VersionSummary;
  try {
    const saved = await appendVersion(ctx, {
      workflowId: workflow.id,
      baseVersionId: head.id,
      document,
      message: `Accepted proposal “${proposal.title}” by ${proposal.author.name}`,
      acceptedProposal: {
        proposalId: proposal.id,
        authorId: proposal.authorId,
        acceptedById: decidedById ?? proposal.authorId,
      },
    });
    version = saved.version;
  } catch (error) {
    await ctx.db.proposal.update({
      where: { id: proposal.id },
      data: { status: "open", decidedById: null, decidedAt: null, decisionComment: null },
    });
    throw error;
  }
  await recordActivity(ctx, {
    workflowId: workflow.id,
    kind: "accepted",
    data: {
      proposalId: proposal.id,
      title: proposal.title,
      authorId: proposal.authorId,
      authorName: proposal.author.name,
      versionNumber: version.number,
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
      decision: "accepted",
      versionNumber: version.number,
      // The notification's subject is the decider (describe-notification.ts reads actorName).
      actorName: await nameOfUser(ctx, decidedById),
      href: `/workflows/${workflow.id}/proposals/${proposal.id}`,
    },
  });
  const row = await ctx.db.proposal.findUniqueOrThrow({
    where: { id: proposal.id },
    include: proposalInclude,
  });
  return { proposal: toProposalSummary(row, await nameOfUser(ctx, decidedById)), version, merged };
}
