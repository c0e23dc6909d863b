/**
 * Worker settings from the environment, validated in one place:
 *   DNO_WORKER_CONCURRENCY  runs at a time on this worker's device (default 1: one DNO run fills a GPU)
 *   DNO_EMBEDDED_WORKER     "0" keeps the Next server from running runs itself (a separate worker process does)
 *   DNO_CHECKPOINT_EVERY    iterations between checkpoints (default 1)
 *   DNO_WORKER_MODE         "child" (default): the embedded worker runs in a supervised child process, so a
 *                           native model call that blocks cannot block the web server; "inprocess" runs it
 *                           in the server process (simpler to debug, but one stuck call wedges everything)
 *   DNO_WORKER_KILL_AFTER_MS  child mode: how long a cancelled run may take to end before the supervisor
 *                           kills the child and starts a fresh one (default 5000)
 */
import { z } from "zod";
import { getEnv } from "../env";

const schema = z.object({
  DNO_WORKER_CONCURRENCY: z.preprocess(
    (value) => (value === "" ? undefined : value),
    z.coerce.number().int().min(1).max(64).default(1),
  ),
  DNO_EMBEDDED_WORKER: z.preprocess(
    (value) => (value === "" ? undefined : value),
    z.enum(["0", "1"]).default("1"),
  ),
  DNO_CHECKPOINT_EVERY: z.preprocess(
    (value) => (value === "" ? undefined : value),
    z.coerce.number().int().min(1).max(10_000).default(1),
  ),
  DNO_WORKER_MODE: z.preprocess(
    (value) => (value === "" ? undefined : value),
    z.enum(["child", "inprocess"]).default("child"),
  ),
  DNO_WORKER_KILL_AFTER_MS: z.preprocess(
    (value) => (value === "" ? undefined : value),
    z.coerce.number().int().min(100).max(600_000).default(5000),
  ),
});

export interface WorkerConfig {
  concurrency: number;
  embedded: boolean;
  checkpointEvery: number;
  device: string;
  mode: "child" | "inprocess";
  killAfterMs: number;
}

export function workerConfig(source: Record<string, string | undefined> = process.env): WorkerConfig {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`Invalid worker settings:\n${lines.join("\n")}`);
  }
  const provider = getEnv(source).ortExecutionProvider;
  return {
    concurrency: parsed.data.DNO_WORKER_CONCURRENCY,
    embedded: parsed.data.DNO_EMBEDDED_WORKER === "1",
    checkpointEvery: parsed.data.DNO_CHECKPOINT_EVERY,
    device: provider === "cuda" ? "cuda:0" : provider === "webgpu" ? "webgpu" : "cpu",
    mode: parsed.data.DNO_WORKER_MODE,
    killAfterMs: parsed.data.DNO_WORKER_KILL_AFTER_MS,
  };
}
