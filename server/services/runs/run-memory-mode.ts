/**
 * The memory mode a run used (recompute or store, METHOD.md §4), as the run recorded it: the executor logs its
 * decision once per attempt as a sentence that starts “Memory mode recompute” or “Memory mode store” and says
 * why (server/executor/chain-memory.ts). That log entry is stored with the run, so the run page reads the mode
 * from it — also for runs made before the page showed it. A resumed run logs again: the last entry counts.
 */
export type RunMemoryMode = "recompute" | "store";

export interface RunMemoryView {
  readonly mode: RunMemoryMode;
  /** The executor's sentence: the mode and why (the budget, DNO_MEMORY_MODE). */
  readonly reason: string;
}

const DECISION = /^Memory mode (recompute|store)\b/;

export function memoryModeFromLog(messages: readonly string[]): RunMemoryView | null {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i] ?? "";
    const match = DECISION.exec(message);
    if (match) return { mode: match[1] as RunMemoryMode, reason: message };
  }
  return null;
}
