/**
 * The statistics every benchmark reports (scripts/bench-*.ts): the median and the 90th percentile of
 * repeated, interleaved measurements — never the fastest one, which hides the cost people actually wait for.
 *
 * - median: the middle sample of the sorted list; the mean of the two middle samples for an even count.
 * - percentile(p), e.g. p90: nearest rank — the smallest sample with at least p % of all samples at or
 *   below it (sorted[ceil(p/100 · n) − 1]), so it is always one of the measured values.
 */

export interface Summary {
  /** How many samples. */
  n: number;
  median: number;
  p90: number;
}

function sortedCopy(samples: readonly number[]): number[] {
  if (samples.length === 0) throw new RangeError("No samples to summarize: the benchmark measured nothing.");
  if (samples.some((value) => !Number.isFinite(value)))
    throw new RangeError("A sample is not a finite number: the benchmark mis-measured.");
  return [...samples].sort((a, b) => a - b);
}

export function median(samples: readonly number[]): number {
  const sorted = sortedCopy(samples);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Nearest-rank percentile, p in (0, 100]. */
export function percentile(samples: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`Percentile must be in (0, 100]; got ${p}.`);
  const sorted = sortedCopy(samples);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function summarize(samples: readonly number[]): Summary {
  return { n: samples.length, median: median(samples), p90: percentile(samples, 90) };
}

/** Rounds for the JSON line (fixed digits, as a number). */
export function round(value: number, digits = 1): number {
  return Number(value.toFixed(digits));
}

/** "median 12.3 ms, p90 15.0 ms over 9": how the benchmarks print a summary. */
export function describeSummary(summary: Summary, unit = "ms", digits = 1): string {
  return `median ${summary.median.toFixed(digits)} ${unit}, p90 ${summary.p90.toFixed(digits)} ${unit} over ${summary.n}`;
}
