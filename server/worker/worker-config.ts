/**
 * Worker settings from the environment, validated in one place:
 *   DNO_WORKER_CONCURRENCY  runs at a time on this worker's device (default 1: one DNO run fills a GPU)
 *   DNO_EMBEDDED_WORKER     "0" keeps the Next server from running runs itself (a separate worker process does)
 *   DNO_CHECKPOINT_EVERY    iterations between checkpoints (default 1)
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
});

export interface WorkerConfig {
  concurrency: number;
  embedded: boolean;
  checkpointEvery: number;
  device: string;
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
    device: provider === "cuda" ? "cuda:0" : "cpu",
  };
}
