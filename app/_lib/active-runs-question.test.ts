import { describe, expect, it } from "vitest";
import { activeRunsQuestion } from "./active-runs-question";

describe("activeRunsQuestion", () => {
  it("asks nothing when no run is going", () => {
    expect(activeRunsQuestion({ running: 0, queued: 0 })).toBeNull();
  });
  it("names running and queued runs in words", () => {
    expect(activeRunsQuestion({ running: 1, queued: 0 })).toBe(
      "This workflow has 1 running run. Delete and cancel it?",
    );
    expect(activeRunsQuestion({ running: 0, queued: 3 })).toBe(
      "This workflow has 3 queued runs. Delete and cancel them?",
    );
    expect(activeRunsQuestion({ running: 1, queued: 1 })).toBe(
      "This workflow has 1 running run and 1 queued run. Delete and cancel them?",
    );
  });
});
