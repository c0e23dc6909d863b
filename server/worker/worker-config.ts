/**
 * Worker settings, read from the one validated environment schema (server/env.ts, `worker`), plus the
 * device name derived from the configured ONNX Runtime provider:
 *   DNO_WORKER_CONCURRENCY  runs at a time on this worker's device (default 1: one DNO run fills a GPU)
 *   DNO_EMBEDDED_WORKER     "0" keeps the Next server from running runs itself (a separate worker process does)
 *   DNO_CHECKPOINT_EVERY    iterations between checkpoints (default 1)
 *   DNO_WORKER_MODE         "child" (default) or "inprocess": where the embedded worker and `npm run worker` compute
 *   DNO_WORKER_KILL_AFTER_MS  child mode: how long a cancelled run may take to end before its child is killed
 *   DNO_QUEUE               "embedded" (Run rows) or "pg-boss" (default when DATABASE_URL is PostgreSQL)
 *   DNO_WORKER_LEASE_MS, DNO_WORKER_HEARTBEAT_MS, DNO_WORKER_MAX_ATTEMPTS  leases (see server/env.ts)
 */
import { getEnv, type WorkerEnv } from "../env";

export interface WorkerConfig extends WorkerEnv {
  device: string;
}

export function workerConfig(source: Record<string, string | undefined> = process.env): WorkerConfig {
  const env = getEnv(source);
  const provider = env.ortExecutionProvider;
  return {
    ...env.worker,
    device: provider === "cuda" ? "cuda:0" : provider === "webgpu" ? "webgpu" : "cpu",
  };
}
