/**
 * How much memory one run may plan to use, and which backward mode it asks for (DNO_MEMORY_BUDGET_MB,
 * DNO_MEMORY_MODE in server/env.ts). Estimates of what a run needs are compared with this budget before
 * the run starts, so a run that cannot fit is refused with a sentence instead of failing mid-run.
 */
import os from "node:os";
import { getEnv } from "@/server/env";

export type MemoryMode = "auto" | "recompute" | "store";

/** The budget in bytes: DNO_MEMORY_BUDGET_MB, or 85 % of this machine's memory. */
export function memoryBudgetBytes(): number {
  const configured = getEnv().memoryBudgetMb;
  if (configured !== undefined) return configured * 1024 * 1024;
  return Math.floor(os.totalmem() * 0.85);
}

/** DNO_MEMORY_MODE: recompute (checkpointing), store (keep the forward's activations), auto (store if it fits). */
export function memoryModeSetting(): MemoryMode {
  return getEnv().memoryMode;
}
