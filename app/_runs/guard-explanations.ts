/**
 * What each guard did during a run, in plain words (issue 11: "guards people can read"): for every Guard
 * node, on which iterations it fired and what that means (its kind's `whenFired`), or that it never fired
 * (`whenQuiet`), and how much it changed the update where the run measured it ("the update was changed by
 * 32 % on average"). "Fired" is what the engine reports: the guard changed that iteration's update by at
 * least 5 % of what the rewards asked for (`MATERIAL_CHANGE`, METHOD.md §5), stopped the run, or — PR —
 * read above its percentile; a guard that only measured did not fire.
 */
import type { GraphDocument } from "@/nodes/graph/document";
import { metricKeyNodes } from "@/nodes/kinds/metric-labels";
import { getGuardKind } from "@/nodes/kinds/registry";

export interface GuardStepLike {
  readonly iteration: number;
  readonly metrics: {
    readonly guards: Readonly<
      Record<string, { readonly fired: boolean; readonly change?: number | null | undefined }>
    >;
  };
}

export interface GuardExplanation {
  readonly nodeId: string;
  readonly label: string;
  readonly kindLabel: string;
  readonly firedIterations: readonly number[];
  readonly iterations: number;
  /** On the iterations it fired: the mean and largest change of the update (shares), when measured. */
  readonly change: { readonly mean: number; readonly largest: number; readonly at: number } | null;
  readonly sentence: string;
  /** The hover text: what the guard does and the change per fired iteration. */
  readonly detail: string;
}

/** 34.9 → "35 times", 1.26 → "1.3 times". */
export function formatTimes(share: number): string {
  return `${share < 10 ? share.toFixed(1) : Math.round(share)} times`;
}

/** 0.3241 → "32 %", 0.004 → "0.4 %", 2.5 → "250 %". */
export function formatShare(share: number): string {
  const percent = share * 100;
  return `${percent < 1 ? percent.toFixed(1) : Math.round(percent)} %`;
}

/** "3", "3 and 7", "3–7", "3–7, 12 and 20": runs of consecutive iterations joined. */
export function formatIterations(iterations: readonly number[]): string {
  const sorted = [...new Set(iterations)].sort((a, b) => a - b);
  const ranges: string[] = [];
  let start = sorted[0];
  let previous = start;
  for (const value of [...sorted.slice(1), Number.NaN]) {
    if (start === undefined || previous === undefined) break;
    if (value === previous + 1) {
      previous = value;
      continue;
    }
    ranges.push(start === previous ? String(start) : `${start}–${previous}`);
    start = value;
    previous = value;
  }
  if (ranges.length <= 1) return ranges.join("");
  return `${ranges.slice(0, -1).join(", ")} and ${ranges.at(-1)}`;
}

export function explainGuards(
  document: GraphDocument | undefined,
  steps: readonly GuardStepLike[],
): GuardExplanation[] {
  if (!document) return [];
  const owners = metricKeyNodes(document);
  return document.nodes
    .filter((node) => node.type === "guard" && typeof node.params.kind === "string")
    .flatMap((node) => {
      const kind = getGuardKind(String(node.params.kind));
      if (!kind) return [];
      const keys = Object.entries(owners)
        .filter(([key, owner]) => owner === node.id && key !== node.id)
        .map(([key]) => key);
      const ownKeys = [node.id, ...keys];
      const fired = steps.filter((step) => ownKeys.some((key) => step.metrics.guards[key]?.fired));
      const firedIterations = fired.map((step) => step.iteration);
      // The largest change any of its report keys measured on that iteration.
      const changeAt = (step: GuardStepLike): number | null => {
        const values = ownKeys
          .map((key) => step.metrics.guards[key]?.change)
          .filter((value): value is number => typeof value === "number" && Number.isFinite(value));
        return values.length > 0 ? Math.max(...values) : null;
      };
      const measured = fired
        .map((step) => ({ iteration: step.iteration, change: changeAt(step) }))
        .filter((entry): entry is { iteration: number; change: number } => entry.change !== null);
      const change =
        measured.length > 0
          ? measured.reduce(
              (acc, entry) => ({
                mean: acc.mean + entry.change / measured.length,
                largest: Math.max(acc.largest, entry.change),
                at: entry.change > acc.largest ? entry.iteration : acc.at,
              }),
              { mean: 0, largest: Number.NEGATIVE_INFINITY, at: measured[0]!.iteration },
            )
          : null;
      const label = node.label ?? kind.label;
      const amount = !change
        ? ""
        : change.mean >= 1
          ? // A guard that outweighs the rewards is said as a multiple: "3491 % of" reads as a typo.
            ` On those iterations its push on the update was ${formatTimes(change.mean)} the rewards' own on ` +
            `average (at most ${formatTimes(change.largest)}, iteration ${change.at}): it, not the rewards, ` +
            "steered the picture."
          : measured.length === 1
            ? ` It changed the update by ${formatShare(change.largest)} of what the rewards asked for.`
            : ` On those iterations it changed the update by ${formatShare(change.mean)} of what the rewards ` +
              `asked for on average (at most ${formatShare(change.largest)}, iteration ${change.at}).`;
      const quietLargest = steps
        .map(changeAt)
        .filter((value): value is number => value !== null)
        .reduce((max, value) => Math.max(max, value), Number.NEGATIVE_INFINITY);
      const quietAmount = Number.isFinite(quietLargest)
        ? ` Its largest change of the update was ${formatShare(quietLargest)}.`
        : "";
      const sentence =
        firedIterations.length === 0
          ? `${label} never fired: ${kind.whenQuiet}${quietAmount}`
          : `${label} fired on ${firedIterations.length} of ${steps.length} iterations ` +
            `(${formatIterations(firedIterations)}): ${kind.whenFired}${amount}`;
      const perIteration = measured
        .slice(0, 40)
        .map((entry) => `${entry.iteration}: ${formatShare(entry.change)}`)
        .join(", ");
      const detail =
        `${kind.label}. ${kind.help}` +
        (perIteration ? ` Change of the update on the iterations it fired — ${perIteration}.` : "");
      return [
        {
          nodeId: node.id,
          label,
          kindLabel: kind.label,
          firedIterations,
          iterations: steps.length,
          change,
          sentence,
          detail,
        },
      ];
    });
}
