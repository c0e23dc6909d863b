/**
 * A worker announces itself when it starts (the admin page lists it): its id (the one its runs carry in
 * Run.workerId), host, process id, device and how many runs it takes at a time. Re-registering the same id
 * (a restarted process that kept its id) starts its record afresh.
 */
import type { ServiceContext } from "../context";

export interface RegisterWorkerInput {
  id: string;
  host: string;
  pid: number;
  device: string;
  concurrency: number;
}

export async function registerWorker(ctx: ServiceContext, input: RegisterWorkerInput): Promise<void> {
  const now = new Date();
  const fields = {
    host: input.host,
    pid: input.pid,
    device: input.device,
    concurrency: input.concurrency,
    startedAt: now,
    lastHeartbeatAt: now,
    stoppedAt: null,
  };
  await ctx.db.worker.upsert({
    where: { id: input.id },
    create: { id: input.id, ...fields },
    update: fields,
  });
}
