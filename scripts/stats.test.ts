import { describe, expect, it } from "vitest";
import { median, percentile, summarize } from "./stats";

describe("benchmark statistics", () => {
  it("median: the middle sample, or the mean of the two middle ones", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it("p90 by nearest rank: always a measured value", () => {
    const ten = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
    expect(percentile(ten, 90)).toBe(9);
    expect(percentile(ten, 100)).toBe(10);
    expect(percentile(ten, 50)).toBe(5);
    // 5 samples: ceil(4.5) = 5th smallest, the slowest one.
    expect(percentile([1, 2, 3, 4, 50], 90)).toBe(50);
    expect(percentile([3], 90)).toBe(3);
  });

  it("summarize reports n, median and p90, never the fastest", () => {
    expect(summarize([12, 10, 30, 11, 13])).toEqual({ n: 5, median: 12, p90: 30 });
  });

  it("refuses empty or non-finite samples and a percentile out of range", () => {
    expect(() => median([])).toThrow(/No samples/);
    expect(() => summarize([1, Number.NaN])).toThrow(/not a finite number/);
    expect(() => percentile([1], 0)).toThrow(/\(0, 100\]/);
  });
});
