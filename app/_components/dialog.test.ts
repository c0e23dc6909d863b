import { describe, expect, it } from "vitest";
import { trappedFocusTarget } from "./dialog";

describe("a dialog keeps Tab inside", () => {
  const items = ["close", "message", "save"];

  it("wraps from the last control to the first, and back with Shift+Tab", () => {
    expect(trappedFocusTarget(items, "save", false)).toBe("close");
    expect(trappedFocusTarget(items, "close", true)).toBe("save");
  });

  it("lets the browser move between inner controls", () => {
    expect(trappedFocusTarget(items, "close", false)).toBeNull();
    expect(trappedFocusTarget(items, "save", true)).toBeNull();
  });

  it("pulls focus that escaped the dialog back in", () => {
    expect(trappedFocusTarget(items, null, false)).toBe("close");
    expect(trappedFocusTarget(items, null, true)).toBe("save");
    expect(trappedFocusTarget([], null, false)).toBeNull();
  });
});
