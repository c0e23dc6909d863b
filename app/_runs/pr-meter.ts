/**
 * The calibrated reward-hacking meter as people read it (METHOD.md §5): PR's percentile among fresh random
 * noise of the run's size, and its band. Steps recorded before the meter was calibrated have no reading.
 */
import type { RunStep } from "./run-types";

type Meter = NonNullable<RunStep["metrics"]["prMeter"]>;

const BAND_WORDS: Record<Meter["band"], string> = {
  typical: "typical",
  drifting: "drifting",
  "likely-hacking": "likely hacking",
};

/** 1st, 2nd, 3rd, 4th, …, 11th, 12th, 13th, …, 21st. */
export function ordinal(value: number): string {
  const n = Math.round(value);
  const lastTwo = n % 100;
  if (lastTwo >= 11 && lastTwo <= 13) return `${n}th`;
  const suffixes: Record<number, string> = { 1: "st", 2: "nd", 3: "rd" };
  return `${n}${suffixes[n % 10] ?? "th"}`;
}

/** "typical: 62nd percentile", or null without a reading. */
export function meterSummary(step: RunStep | undefined): string | null {
  const meter = step?.metrics.prMeter;
  if (!meter) return null;
  return `${BAND_WORDS[meter.band]}: ${ordinal(meter.percentile)} percentile`;
}

/** The PR values where the drifting and the firing bands start, when every reading that has them agrees. */
export function meterBands(steps: readonly RunStep[]): { driftingFrom: number; firesFrom: number } | null {
  let bands: { driftingFrom: number; firesFrom: number } | null = null;
  for (const step of steps) {
    const meter = step.metrics.prMeter;
    if (!meter || meter.driftingFrom === null || meter.firesFrom === null) continue;
    if (!bands) bands = { driftingFrom: meter.driftingFrom, firesFrom: meter.firesFrom };
    else if (bands.driftingFrom !== meter.driftingFrom || bands.firesFrom !== meter.firesFrom) return null;
  }
  return bands;
}
