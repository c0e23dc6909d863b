import { describe, expect, it } from "vitest";
import { decideMemoryMode } from "@/server/executor/chain-memory";
import { memoryModeFromLog } from "@/server/services/runs/run-memory-mode";
import { memoryModeWords } from "./memory-words";

const base = { budgetBytes: 1000 * 1024 ** 2, steps: 10, otherBytes: 0, exactGradient: true } as const;

describe("the run's memory mode on the run page", () => {
  it("reads back every decision the executor logs, with its reason, and words it for people", () => {
    const decisions = [
      decideMemoryMode({ ...base, setting: "recompute", residualBytesPerStep: 1 }),
      decideMemoryMode({ ...base, setting: "store", residualBytesPerStep: 1 }),
      decideMemoryMode({ ...base, setting: "auto", residualBytesPerStep: 1024 ** 2 }),
      decideMemoryMode({ ...base, setting: "auto", residualBytesPerStep: 1024 ** 3 }),
      decideMemoryMode({ ...base, setting: "auto", residualBytesPerStep: undefined }),
      decideMemoryMode({ ...base, setting: "auto", residualBytesPerStep: 1, exactGradient: false }),
    ];
    expect(decisions.map((decision) => decision.mode)).toEqual([
      "recompute",
      "store",
      "store",
      "recompute",
      "recompute",
      "recompute",
    ]);
    for (const decision of decisions) {
      const log = ["Started on cpu.", decision.reason, "Image size 64×64 px (latents 4×8×8)."];
      expect(memoryModeFromLog(log)).toEqual({ mode: decision.mode, reason: decision.reason });
    }
    expect(memoryModeWords("store")).toBe("Keeps activations (faster, uses more memory)");
    expect(memoryModeWords("recompute")).toBe("Recomputes (uses less memory)");
  });

  it("takes a resumed run's last decision, and shows a dash when none was logged", () => {
    const first = decideMemoryMode({ ...base, setting: "store", residualBytesPerStep: 1 }).reason;
    const resumed = decideMemoryMode({ ...base, setting: "recompute", residualBytesPerStep: 1 }).reason;
    expect(memoryModeFromLog([first, "Resumed on cpu after iteration 3.", resumed])?.mode).toBe("recompute");
    expect(memoryModeFromLog(["Started on cpu.", "A memory mode was not chosen."])).toBeNull();
    expect(memoryModeWords(memoryModeFromLog([])?.mode)).toBe("—");
  });
});
