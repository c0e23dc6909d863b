/**
 * How a queued run's place reads: "3rd in line · starts in about 2 min". The estimate is the server's
 * (services/runs/queue-position.ts); when it has none, the line says so instead of guessing.
 */
import type { StartEstimate } from "@/server/services/runs/queue-position";
import { formatTimeLeft } from "./time-left";

/** Under this, "starts in about 3 s" promises more precision than a queue has. */
const ANY_MOMENT_MS = 5000;

/** 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 101st, 111th. */
export function ordinal(n: number): string {
  const lastTwo = n % 100;
  if (lastTwo >= 11 && lastTwo <= 13) return `${n}th`;
  const suffix = { 1: "st", 2: "nd", 3: "rd" }[n % 10] ?? "th";
  return `${n}${suffix}`;
}

export function positionWords(position: number): string {
  return position === 1 ? "next in line" : `${ordinal(position)} in line`;
}

export function estimateWords(estimate: StartEstimate): string {
  switch (estimate.kind) {
    case "estimate":
      return estimate.startsInMs < ANY_MOMENT_MS
        ? "starts any moment"
        : `starts in about ${formatTimeLeft(estimate.startsInMs)}`;
    case "no-worker":
      return "no worker is running; it starts when one does";
    case "unknown":
      return "start time unknown (no run has been timed yet)";
  }
}

/** The whole line, or null when the run is not waiting in the queue. */
export function queueLine(place: { position: number | null; estimate: StartEstimate | null }): string | null {
  if (place.position === null) return null;
  const words = [positionWords(place.position)];
  if (place.estimate) words.push(estimateWords(place.estimate));
  return words.join(" · ");
}
