/**
 * The live run's "about … left". It used to divide the whole elapsed time (model loading and the first,
 * slow iteration included) by the iterations done, which tripled the estimate early in a short run; it now
 * uses the measured time between recent iterations.
 */

export interface TimedStep {
  iteration: number;
  /** Run time when the iteration was recorded (cumulative). */
  elapsedMs: number;
}

/** How many recent iteration times the median reads: recent enough to follow a slowdown, enough to ignore one hiccup. */
const RECENT_ITERATIONS = 8;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/**
 * Median of the recent per-iteration times × the iterations still to run; null until two iterations have
 * been timed (the first one's time includes loading the model) or when the plan is unknown.
 */
export function estimateTimeLeftMs(
  steps: readonly TimedStep[],
  planned: number | null | undefined,
): number | null {
  if (planned === null || planned === undefined) return null;
  const ordered = [...steps].sort((a, b) => a.iteration - b.iteration);
  const last = ordered[ordered.length - 1];
  if (!last) return null;
  const remaining = Math.max(0, planned - (last.iteration + 1));
  if (remaining === 0) return 0;
  const perIteration: number[] = [];
  for (let i = ordered.length - 1; i > 0 && perIteration.length < RECENT_ITERATIONS; i--) {
    const later = ordered[i];
    const earlier = ordered[i - 1];
    if (!later || !earlier) continue;
    const gap = later.iteration - earlier.iteration;
    const took = later.elapsedMs - earlier.elapsedMs;
    // A resumed run restarts its clock offset; a negative or zero span is no measurement.
    if (gap > 0 && took > 0) perIteration.push(took / gap);
  }
  if (perIteration.length === 0) return null;
  return median(perIteration) * remaining;
}

/**
 * "45 s", "2 min 5 s", "14 min", "1 h 5 min": whole units carried before splitting, so never "3 min 60 s",
 * and coarser as the wait grows (seconds are noise in a quarter-hour estimate).
 */
export function formatTimeLeft(ms: number): string {
  const totalSeconds = Math.max(1, Math.round(ms / 1000));
  if (totalSeconds < 60) return `${totalSeconds} s`;
  if (totalSeconds < 10 * 60) {
    const minutes = Math.floor(totalSeconds / 60);
    const seconds = totalSeconds % 60;
    return seconds === 0 ? `${minutes} min` : `${minutes} min ${seconds} s`;
  }
  const totalMinutes = Math.round(totalSeconds / 60);
  if (totalMinutes < 60) return `${totalMinutes} min`;
  const hours = Math.floor(totalMinutes / 60);
  const minutes = totalMinutes % 60;
  return minutes === 0 ? `${hours} h` : `${hours} h ${minutes} min`;
}
