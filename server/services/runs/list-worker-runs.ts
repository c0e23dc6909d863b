/**
 * The runs a worker holds right now (status `running` under its id), with whether a cancel was asked for:
 * what the worker supervisor watches and settles when it has to kill a child.
 */
import type { ServiceContext } from "../context";

export interface HeldRun {
  id: string;
  cancelRequestedAt: Date | null;
}

export async function listWorkerRuns(ctx: ServiceContext, input: { workerId: string }): Promise<HeldRun[]> {
  return ctx.db.run.findMany({
    where: { status: "running", workerId: input.workerId },
    select: { id: true, cancelRequestedAt: true },
    orderBy: { id: "asc" },
  });
}
