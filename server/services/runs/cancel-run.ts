/**
 * Cancels a run. A queued run is cancelled at once (a conditional update, so a worker claiming it at the
 * same moment wins or loses cleanly); a running one gets `cancelRequestedAt`, which its worker sees within
 * one iteration (in-process through the event bus immediately, from another process at the next step).
 */
import { AppError } from "../../errors";
import { assertRoleAllows, roleAllows } from "../authorization";
import type { ServiceContext } from "../context";
import { loadRun } from "./load-run";
import { type RunSummary, toRunSummary } from "./run-views";

/**
 * The cancel itself, for a run the caller may already act on (cancelRun, deleting a workflow): "cancelled"
 * (it was queued), "requested" (running: its worker stops it), or the status it had already finished with.
 */
export async function requestRunCancel(
  ctx: ServiceContext,
  runId: string,
  logMessage = "Cancelled before it started.",
): Promise<string> {
  const now = new Date();
  const queued = await ctx.db.run.updateMany({
    where: { id: runId, status: "queued" },
    data: { status: "cancelled", cancelRequestedAt: now, finishedAt: now },
  });
  if (queued.count > 0) {
    await ctx.db.runLogEntry.create({ data: { runId, message: logMessage } });
    return "cancelled";
  }
  const running = await ctx.db.run.updateMany({
    where: { id: runId, status: "running", cancelRequestedAt: null },
    data: { cancelRequestedAt: now },
  });
  if (running.count > 0) return "requested";
  const current = await ctx.db.run.findUniqueOrThrow({ where: { id: runId } });
  return current.status === "running" ? "requested" : current.status;
}

export async function cancelRun(ctx: ServiceContext, input: { runId: string }): Promise<RunSummary> {
  const run = await loadRun(ctx, input.runId, "view");
  // Whoever started a proposal's run may stop it (reviewers run their own proposals); other runs need "run".
  const ownProposalRun =
    run.proposalId !== null &&
    run.ownerId !== null &&
    run.ownerId === ctx.actor.userId &&
    roleAllows(run.role, "propose");
  if (!ownProposalRun) assertRoleAllows(ctx.actor, run.role, "run", run.workflowId);
  const outcome = await requestRunCancel(ctx, run.id);
  if (outcome !== "cancelled" && outcome !== "requested") {
    throw new AppError(
      "CONFLICT",
      `The run has already ${outcome === "succeeded" ? "finished" : outcome}; there is nothing to cancel.`,
      { status: outcome },
    );
  }
  const updated = await ctx.db.run.findUniqueOrThrow({
    where: { id: run.id },
    include: { workflowVersion: { select: { number: true } } },
  });
  return toRunSummary(updated);
}
