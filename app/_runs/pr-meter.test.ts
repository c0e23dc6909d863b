import { describe, expect, it } from "vitest";
import { meterBands, meterSummary, ordinal } from "./pr-meter";
import type { RunStep } from "./run-types";

const step = (iteration: number, prMeter?: RunStep["metrics"]["prMeter"]): RunStep => ({
  iteration,
  metrics: { iteration, rewards: {}, guards: {}, pr: 3, prMeter, objective: 0, gradNorm: 0, ms: {} },
  imageArtifactId: null,
  elapsedMs: 0,
});

describe("the meter as shown", () => {
  it("reads as a band and an ordinal percentile; steps without a reading show none", () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 62, 93.75, 100].map(ordinal)).toEqual([
      "1st",
      "2nd",
      "3rd",
      "4th",
      "11th",
      "12th",
      "13th",
      "21st",
      "62nd",
      "94th",
      "100th",
    ]);
    const meter = { percentile: 62, band: "typical" as const, driftingFrom: 3.2, firesFrom: 4.1 };
    expect(meterSummary(step(0, meter))).toBe("typical: 62nd percentile");
    expect(meterSummary(step(0, { ...meter, percentile: 99.5, band: "likely-hacking" }))).toBe(
      "likely hacking: 100th percentile",
    );
    expect(meterSummary(step(0))).toBeNull();
    expect(meterBands([step(0), step(1, meter), step(2, meter)])).toEqual({
      driftingFrom: 3.2,
      firesFrom: 4.1,
    });
    expect(meterBands([step(0)])).toBeNull();
    expect(meterBands([step(1, meter), step(2, { ...meter, firesFrom: 5 })])).toBeNull();
  });
});
