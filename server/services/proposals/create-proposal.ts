/**
 * Starts a proposal: a draft branched from a version, or from a run (its base is the version the run ran;
 * its starting document is what the run executed). The document is the reviewer's edited graph, or the
 * starting document with parameter changes applied (the run page's review table). Checked exactly like a
 * save; nothing of the workflow changes. The owner and editors are notified.
 */
import type { GraphDocument } from "@/nodes";
import { recordActivity } from "../activity/record-activity";
import type { ServiceContext } from "../context";
import { notifyUsers } from "../notifications/notify-users";
import { type ParamChange, applyParamChanges } from "../runs/rerun-with-changes";
import { loadRun } from "../runs/load-run";
import { readRunConfig } from "../runs/run-views";
import { loadVersionOfWorkflow } from "../versions/load-version";
import { readStoredDocument, toStoredDocument } from "../workflows/graph-document";
import { loadWorkflow } from "../workflows/load-workflow";
import {
  checkProposedDocument,
  deciderIds,
  type ProposalSummary,
  proposalInclude,
  toProposalSummary,
} from "./proposal-views";

export type CreateProposalInput = {
  title?: string;
  description?: string;
  /** The whole edited graph (review mode in the editor)… */
  document?: unknown;
  /** …or changes to the starting document's params (the run page's review table). */
  changes?: ParamChange[];
} & ({ workflowId: string; versionId: string } | { runId: string });

export async function createProposal(
  ctx: ServiceContext,
  input: CreateProposalInput,
): Promise<ProposalSummary> {
  let workflowId: string;
  let baseVersionId: string;
  let baseNumber: number;
  let start: GraphDocument;
  if ("runId" in input) {
    const run = await loadRun(ctx, input.runId, "propose");
    workflowId = run.workflowId;
    baseVersionId = run.workflowVersionId;
    baseNumber = run.workflowVersion.number;
    start = readRunConfig(run).document;
  } else {
    const workflow = await loadWorkflow(ctx, input.workflowId, "propose");
    const version = await loadVersionOfWorkflow(ctx, workflow.id, input.versionId);
    workflowId = workflow.id;
    baseVersionId = version.id;
    baseNumber = version.number;
    start = readStoredDocument(version.document, `version ${version.number} of “${workflow.name}”`);
  }
  const workflow = await loadWorkflow(ctx, workflowId, "propose");
  const proposed =
    input.document !== undefined ? input.document : applyParamChanges(start, input.changes ?? []);
  const document = await checkProposedDocument(ctx, proposed, "The proposal was not saved");
  const title = input.title?.trim() || `Changes to version ${baseNumber}`;
  const row = await ctx.db.proposal.create({
    data: {
      workflowId,
      baseVersionId,
      // Only people create proposals: the routers never hand the SYSTEM actor to this service.
      authorId: ctx.actor.userId ?? "",
      title,
      description: input.description?.trim() ?? "",
      ...toStoredDocument(document),
    },
    include: proposalInclude,
  });
  await recordActivity(ctx, {
    workflowId,
    kind: "proposed",
    data: { proposalId: row.id, title, baseVersionNumber: baseNumber },
  });
  await notifyUsers(ctx, {
    userIds: await deciderIds(ctx, workflow),
    kind: "proposal",
    workflowId,
    data: {
      proposalId: row.id,
      title,
      workflowName: workflow.name,
      authorName: row.author.name,
      href: `/workflows/${workflowId}/proposals/${row.id}`,
    },
  });
  return toProposalSummary(row, null);
}
