import { describe, expect, it } from "vitest";
import { ordinal, queueLine } from "./queue-words";

describe("queue words", () => {
  it("writes ordinals in English, teens included", () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111, 112].map(ordinal)).toEqual([
      "1st",
      "2nd",
      "3rd",
      "4th",
      "11th",
      "12th",
      "13th",
      "21st",
      "22nd",
      "23rd",
      "101st",
      "111th",
      "112th",
    ]);
  });

  it("says where a queued run stands and when it should start, or why that is unknown", () => {
    expect(queueLine({ position: 3, estimate: { kind: "estimate", startsInMs: 120_000 } })).toBe(
      "3rd in line · starts in about 2 min",
    );
    expect(queueLine({ position: 1, estimate: { kind: "estimate", startsInMs: 1200 } })).toBe(
      "next in line · starts any moment",
    );
    expect(queueLine({ position: 2, estimate: { kind: "no-worker", reason: "" } })).toBe(
      "2nd in line · no worker is running; it starts when one does",
    );
    expect(queueLine({ position: 2, estimate: { kind: "unknown", reason: "" } })).toBe(
      "2nd in line · start time unknown (no run has been timed yet)",
    );
    expect(queueLine({ position: null, estimate: null })).toBeNull();
  });
});
