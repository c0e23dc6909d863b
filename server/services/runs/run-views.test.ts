/** Stored step metrics: runs recorded before the calibrated meter still display; newer ones carry it. */
import { describe, expect, it } from "vitest";
import { toRunStepView } from "./run-views";

const step = (metrics: unknown) => ({
  id: "step-1",
  runId: "run-1",
  iteration: 3,
  metrics: JSON.stringify(metrics),
  imageArtifactId: null,
  elapsedMs: 12,
  createdAt: new Date(0),
});

const older = {
  iteration: 3,
  rewards: { "reward-1": 0.4 },
  guards: { "guard-1": { value: 3.39, fired: true } },
  pr: 3.39,
  objective: -2.9,
  gradNorm: 0.3,
  ms: { forward: 1 },
};

describe("toRunStepView", () => {
  it("reads a step recorded before the meter was calibrated (no prMeter) with all its numbers", () => {
    const view = toRunStepView(step(older));
    expect(view.metrics.pr).toBe(3.39);
    expect(view.metrics.rewards).toEqual({ "reward-1": 0.4 });
    expect(view.metrics.prMeter).toBeUndefined();
  });

  it("reads the meter's percentile, band and thresholds (NaN thresholds come back as null)", () => {
    const prMeter = { percentile: 93.75, band: "drifting", driftingFrom: 3.2, firesFrom: Number.NaN };
    const view = toRunStepView(step({ ...older, prMeter }));
    expect(view.metrics.prMeter).toEqual({ ...prMeter, firesFrom: null });
    expect(view.metrics.pr).toBe(3.39);
  });
});
