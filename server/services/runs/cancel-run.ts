/**
 * Cancels a run. A queued run is cancelled at once (a conditional update, so a worker claiming it at the
 * same moment wins or loses cleanly); a running one gets `cancelRequestedAt`, which its worker sees within
 * one iteration (in-process through the event bus immediately, from another process at the next step).
 */
import { AppError } from "../../errors";
import type { ServiceContext } from "../context";
import { loadRun } from "./load-run";
import { type RunSummary, toRunSummary } from "./run-views";

export async function cancelRun(ctx: ServiceContext, input: { runId: string }): Promise<RunSummary> {
  const run = await loadRun(ctx, input.runId, "write");
  const now = new Date();
  const queued = await ctx.db.run.updateMany({
    where: { id: run.id, status: "queued" },
    data: { status: "cancelled", cancelRequestedAt: now, finishedAt: now },
  });
  if (queued.count === 0) {
    const running = await ctx.db.run.updateMany({
      where: { id: run.id, status: "running", cancelRequestedAt: null },
      data: { cancelRequestedAt: now },
    });
    if (running.count === 0) {
      const current = await ctx.db.run.findUniqueOrThrow({ where: { id: run.id } });
      if (current.status !== "running" && current.status !== "cancelled") {
        throw new AppError(
          "CONFLICT",
          `The run has already ${current.status === "succeeded" ? "finished" : current.status}; there is nothing to cancel.`,
          {
            status: current.status,
          },
        );
      }
    }
  } else {
    await ctx.db.runLogEntry.create({ data: { runId: run.id, message: "Cancelled before it started." } });
  }
  const updated = await ctx.db.run.findUniqueOrThrow({
    where: { id: run.id },
    include: { workflowVersion: { select: { number: true } } },
  });
  return toRunSummary(updated);
}
