/**
 * Runs an open proposal: a Run of the proposal's base version whose config holds the proposal's document
 * and which carries proposalId. No version is made; the workflow does not change. Allowed to the proposal's
 * author (reviewers may run their own proposals) and to anyone who may run the workflow.
 */
import { AppError } from "../../errors";
import { recordActivity } from "../activity/record-activity";
import { roleAllows } from "../authorization";
import type { ServiceContext } from "../context";
import { loadRun } from "../runs/load-run";
import { enqueueRun } from "../runs/start-run";
import type { RunSummary } from "../runs/run-views";
import { assertReferencesExist } from "../workflows/check-references";
import { assertOpen, loadProposal, proposalDocument } from "./proposal-views";

export async function runProposal(
  ctx: ServiceContext,
  input: {
    proposalId: string;
    /** The run the review started from (shown next to the proposal's runs). */
    revisesRunId?: string;
    checkpointEvery?: number;
  },
): Promise<RunSummary> {
  const { proposal, workflow, role } = await loadProposal(ctx, input.proposalId, "propose");
  if (proposal.authorId !== ctx.actor.userId && !roleAllows(role, "run")) {
    throw new AppError(
      "FORBIDDEN",
      `Only ${proposal.author.name}, who wrote the proposal “${proposal.title}”, or someone with editor access can run it.`,
    );
  }
  assertOpen(proposal);
  const document = proposalDocument(proposal);
  const what = `The proposal “${proposal.title}” cannot run`;
  await assertReferencesExist(ctx, document, what);
  let revisesRunId: string | null = null;
  if (input.revisesRunId) {
    const revised = await loadRun(ctx, input.revisesRunId, "view");
    if (revised.workflowId !== workflow.id) {
      throw new AppError("VALIDATION", "The run to compare with belongs to another workflow.");
    }
    revisesRunId = revised.id;
  }
  const run = await enqueueRun(ctx, {
    workflowId: workflow.id,
    what,
    versionId: proposal.baseVersionId,
    document,
    revisesRunId,
    proposalId: proposal.id,
    checkpointEvery: input.checkpointEvery ?? 1,
  });
  await recordActivity(ctx, {
    workflowId: workflow.id,
    kind: "proposal-ran",
    data: { proposalId: proposal.id, title: proposal.title, runId: run.id },
  });
  return run;
}
