/** Client-side types of runs, inferred from the router so they cannot drift from the server. */
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import type { RunProgressEvent } from "@/server/worker/watch-run";

type Outputs = inferRouterOutputs<AppRouter>;
export type RunSummary = Outputs["run"]["list"][number];
export type RunDetail = Outputs["run"]["get"];
export type RunComparison = Outputs["run"]["compare"];
export type RunStep = RunDetail["steps"][number];
export type ProgressEvent = RunProgressEvent;

export const FINISHED: readonly string[] = ["succeeded", "failed", "cancelled", "interrupted"];

export function artifactUrl(artifactId: string | null | undefined, download = false): string | null {
  if (!artifactId) return null;
  return `/api/artifacts/${encodeURIComponent(artifactId)}${download ? "?download=1" : ""}`;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  // Round once, then split, so 179.6 s reads "3 min 0 s", not "2 min 60 s".
  const total = Math.round(seconds);
  return `${Math.floor(total / 60)} min ${total % 60} s`;
}

export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e5)) return value.toExponential(2);
  return value.toFixed(magnitude < 1 ? 4 : 3);
}
