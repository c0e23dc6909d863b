/**
 * Ends a run the worker held: succeeded, failed (with the message and the failing node) or cancelled.
 * Fenced: conditional on the worker still holding it (running, its worker id, its claim count) in the same
 * transaction as the log line, so a holder whose lease was lost (the run re-queued or finished elsewhere)
 * can never end it.
 */
import { recordActivity } from "../activity/record-activity";
import type { ServiceContext } from "../context";
import { notifyUsers } from "../notifications/notify-users";
import { type RunSummary, toRunSummary } from "./run-views";

export interface FinishRunInput {
  runId: string;
  workerId: string;
  /** The claim count the holder claimed under (its fencing token); omitted by the supervisor. */
  attempt?: number;
  status: "succeeded" | "failed" | "cancelled";
  error?: string | null;
  errorNodeId?: string | null;
  message?: string;
}

/** Null when the worker no longer holds the run (its lease was lost): nothing was written then. */
export async function finishRun(ctx: ServiceContext, input: FinishRunInput): Promise<RunSummary | null> {
  const message =
    input.message ??
    (input.status === "failed" ? `Failed: ${input.error ?? "unknown error"}` : `Run ${input.status}.`);
  const finished = await ctx.db.$transaction(async (tx) => {
    const changed = await tx.run.updateMany({
      where: {
        id: input.runId,
        status: "running",
        workerId: input.workerId,
        ...(input.attempt !== undefined ? { attempts: input.attempt } : {}),
      },
      data: {
        status: input.status,
        error: input.error ?? null,
        errorNodeId: input.errorNodeId ?? null,
        finishedAt: new Date(),
        leaseExpiresAt: null,
      },
    });
    if (changed.count === 0) return false;
    await tx.runLogEntry.create({
      data: {
        runId: input.runId,
        message,
        level: input.status === "failed" ? "error" : "info",
        nodeId: input.errorNodeId ?? null,
      },
    });
    // The admin page's "runs done" (no Worker row for workers from tests or before registration).
    await tx.worker.updateMany({ where: { id: input.workerId }, data: { runsDone: { increment: 1 } } });
    return true;
  });
  if (!finished) return null;
  const run = await ctx.db.run.findUniqueOrThrow({
    where: { id: input.runId },
    include: { workflowVersion: { select: { number: true } } },
  });
  await announceFinishedRun(ctx, run, input.status);
  return toRunSummary(run);
}

/**
 * The feed line ("Ana's run of version 4 finished — best score 0.82") and a "run-finished" notification to
 * the person who started it (none for runs the app started itself). A failure here is logged, never passed
 * on: the run has finished either way.
 */
export async function announceFinishedRun(
  ctx: ServiceContext,
  run: {
    id: string;
    workflowId: string;
    ownerId: string | null;
    proposalId: string | null;
    bestReward: number | null;
    workflowVersion: { number: number };
  },
  status: FinishRunInput["status"],
): Promise<void> {
  try {
    const data = {
      runId: run.id,
      versionNumber: run.workflowVersion.number,
      status,
      bestReward: run.bestReward,
      starterId: run.ownerId,
      proposalId: run.proposalId,
    };
    await recordActivity(ctx, { workflowId: run.workflowId, kind: "run-finished", data });
    if (run.ownerId === null) return;
    const workflow = await ctx.db.workflow.findUnique({
      where: { id: run.workflowId },
      select: { name: true },
    });
    await notifyUsers(ctx, {
      userIds: [run.ownerId],
      kind: "run-finished",
      workflowId: run.workflowId,
      data: { ...data, workflowName: workflow?.name ?? null, href: `/runs/${run.id}` },
    });
  } catch (error) {
    console.error(`Run ${run.id} finished, but its feed line or notification could not be written:`, error);
  }
}
