/** The run's memory mode in words for people (run page, Reproducibility); the log keeps the technical reason. */
import type { RunMemoryMode } from "@/server/services/runs/run-memory-mode";

export function memoryModeWords(mode: RunMemoryMode | null | undefined): string {
  if (mode === "store") return "Keeps activations (faster, uses more memory)";
  if (mode === "recompute") return "Recomputes (uses less memory)";
  return "—";
}
