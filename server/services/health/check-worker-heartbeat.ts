/**
 * Readiness of a worker process for its health endpoint: its Worker row exists (it registered), is not
 * stopped (a stopping worker takes no new runs), and its heartbeat is recent. The query also proves the
 * database reachable.
 */
import type { DbClient } from "../../db/client";

export type WorkerHeartbeatCheck = "ok" | "not-registered" | "stopped" | "heartbeat-stale" | "unreachable";

export async function checkWorkerHeartbeat(
  db: DbClient,
  input: { workerId: string | null; staleAfterMs: number; now?: Date },
): Promise<WorkerHeartbeatCheck> {
  if (input.workerId === null) return "not-registered";
  let worker: { lastHeartbeatAt: Date; stoppedAt: Date | null } | null;
  try {
    worker = await db.worker.findUnique({
      where: { id: input.workerId },
      select: { lastHeartbeatAt: true, stoppedAt: true },
    });
  } catch {
    return "unreachable";
  }
  if (!worker) return "not-registered";
  if (worker.stoppedAt !== null) return "stopped";
  const age = (input.now ?? new Date()).getTime() - worker.lastHeartbeatAt.getTime();
  return age <= input.staleAfterMs ? "ok" : "heartbeat-stale";
}
