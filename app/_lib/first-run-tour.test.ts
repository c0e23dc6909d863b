import { describe, expect, it } from "vitest";
import { advance, parseTourProgress, stepToShow, TOUR_STEPS, tourPageOf } from "./first-run-tour";

describe("first-run tour", () => {
  it("starts on the list page for a new visitor and ends once done or dismissed", () => {
    expect(parseTourProgress(null)).toBe("open-example");
    expect(parseTourProgress("garbage")).toBe("open-example");
    expect(stepToShow(parseTourProgress(null), "list", false)?.id).toBe("open-example");
    expect(stepToShow("done", "list", false)).toBeNull();
    expect(parseTourProgress("dismissed")).toBe("done");
  });

  it("walks open an example → press Run → watch the live panel → read the result", () => {
    let progress = parseTourProgress(null);
    const seen: string[] = [];
    const visit = (page: "list" | "editor" | "run", live: boolean) => {
      const step = stepToShow(progress, page, live);
      if (step) {
        seen.push(step.id);
        progress = advance(step);
      }
    };
    visit("list", false);
    visit("editor", false);
    visit("editor", true);
    visit("run", false);
    expect(seen).toEqual(TOUR_STEPS.map((step) => step.id));
    expect(progress).toBe("done");
  });

  it("follows people who skip ahead, and never shows an earlier page's step again", () => {
    // Opened the editor straight away: the editor's first step shows, then the list page shows nothing.
    expect(stepToShow("open-example", "editor", false)?.id).toBe("press-run");
    expect(stepToShow("watch-live", "list", false)).toBeNull();
    // A run already live when the editor opens: skip to the live panel.
    expect(stepToShow("open-example", "editor", true)?.id).toBe("watch-live");
  });

  it("knows which page a path is", () => {
    expect(tourPageOf("/")).toBe("list");
    expect(tourPageOf("/workflows/abc")).toBe("editor");
    expect(tourPageOf("/workflows/abc/runs")).toBe("other");
    expect(tourPageOf("/runs/r1")).toBe("run");
    expect(tourPageOf("/assets")).toBe("other");
  });
});
