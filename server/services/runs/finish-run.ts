/**
 * Ends a run the worker held: succeeded, failed (with the message and the failing node) or cancelled.
 * Conditional on the worker still holding it, so a run recovered as interrupted is not overwritten.
 */
import type { ServiceContext } from "../context";
import { type RunSummary, toRunSummary } from "./run-views";

export interface FinishRunInput {
  runId: string;
  workerId: string;
  status: "succeeded" | "failed" | "cancelled";
  error?: string | null;
  errorNodeId?: string | null;
  message?: string;
}

export async function finishRun(ctx: ServiceContext, input: FinishRunInput): Promise<RunSummary | null> {
  const finished = await ctx.db.run.updateMany({
    where: { id: input.runId, status: "running", workerId: input.workerId },
    data: {
      status: input.status,
      error: input.error ?? null,
      errorNodeId: input.errorNodeId ?? null,
      finishedAt: new Date(),
    },
  });
  if (finished.count === 0) return null;
  const message =
    input.message ??
    (input.status === "failed" ? `Failed: ${input.error ?? "unknown error"}` : `Run ${input.status}.`);
  await ctx.db.runLogEntry.create({
    data: {
      runId: input.runId,
      message,
      level: input.status === "failed" ? "error" : "info",
      nodeId: input.errorNodeId ?? null,
    },
  });
  const run = await ctx.db.run.findUniqueOrThrow({
    where: { id: input.runId },
    include: { workflowVersion: { select: { number: true } } },
  });
  return toRunSummary(run);
}
