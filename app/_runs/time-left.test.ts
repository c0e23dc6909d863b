import { describe, expect, it } from "vitest";
import { formatDuration } from "./run-types";
import { estimateTimeLeftMs, formatTimeLeft } from "./time-left";

/** Steps of a run that spent `setupMs` loading before iteration 0 and `perMs` on each iteration. */
function steps(count: number, setupMs: number, perMs: number) {
  return Array.from({ length: count }, (_, iteration) => ({
    iteration,
    elapsedMs: setupMs + (iteration + 1) * perMs,
  }));
}

describe("estimateTimeLeftMs", () => {
  it("ignores the loading time: a run with a long start still estimates from iteration times", () => {
    // 20 s of loading, then 1 s per iteration; 5 of 50 done → 45 s left, not (25 s / 5) × 45 = 225 s.
    expect(estimateTimeLeftMs(steps(5, 20_000, 1000), 50)).toBe(45_000);
  });

  it("reads the median of recent iterations, so one hiccup does not swing it", () => {
    const timed = steps(10, 0, 1000);
    const hiccup = timed.map((step) =>
      step.iteration >= 9 ? { ...step, elapsedMs: step.elapsedMs + 30_000 } : step,
    );
    expect(estimateTimeLeftMs(hiccup, 20)).toBe(10_000);
  });

  it("follows a slowdown once it lasts", () => {
    const early = steps(10, 0, 1000);
    const slow = Array.from({ length: 10 }, (_, i) => ({
      iteration: 10 + i,
      elapsedMs: 10_000 + (i + 1) * 3000,
    }));
    expect(estimateTimeLeftMs([...early, ...slow], 30)).toBe(30_000);
  });

  it("divides by the iteration gap when steps are missing, and accepts any order", () => {
    const sparse = [
      { iteration: 4, elapsedMs: 9000 },
      { iteration: 0, elapsedMs: 5000 },
      { iteration: 2, elapsedMs: 7000 },
    ];
    expect(estimateTimeLeftMs(sparse, 10)).toBe(5000);
  });

  it("says nothing until two iterations are timed or without a plan, and 0 when done", () => {
    expect(estimateTimeLeftMs([], 10)).toBeNull();
    expect(estimateTimeLeftMs(steps(1, 5000, 1000), 10)).toBeNull();
    expect(estimateTimeLeftMs(steps(3, 0, 1000), null)).toBeNull();
    expect(estimateTimeLeftMs(steps(10, 0, 1000), 10)).toBe(0);
  });
});

describe("formatTimeLeft", () => {
  it("carries whole seconds into minutes: never 60 s", () => {
    expect(formatTimeLeft(179_600)).toBe("3 min");
    expect(formatTimeLeft(239_999)).toBe("4 min");
    expect(formatTimeLeft(59_600)).toBe("1 min");
    expect(formatTimeLeft(125_000)).toBe("2 min 5 s");
  });

  it("gets coarser as the wait grows", () => {
    expect(formatTimeLeft(0)).toBe("1 s");
    expect(formatTimeLeft(44_400)).toBe("44 s");
    expect(formatTimeLeft(14 * 60_000 + 20_000)).toBe("14 min");
    expect(formatTimeLeft(65 * 60_000)).toBe("1 h 5 min");
    expect(formatTimeLeft(120 * 60_000)).toBe("2 h");
  });
});

describe("formatDuration (elapsed times)", () => {
  it("carries a rounded 60 s into the minutes", () => {
    expect(formatDuration(179_600)).toBe("3 min 0 s");
    expect(formatDuration(125_000)).toBe("2 min 5 s");
  });
});
