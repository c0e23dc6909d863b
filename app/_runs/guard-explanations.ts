/**
 * What each guard did during a run, in plain words (issue 11: "guards people can read"): for every Guard
 * node, on which iterations it fired and what that means (its kind's `whenFired`), or that it never fired
 * (`whenQuiet`). "Fired" is what the engine reports: the guard materially changed that iteration's update
 * or stopped the run; a guard that only measured did not fire.
 */
import type { GraphDocument } from "@/nodes/graph/document";
import { metricKeyNodes } from "@/nodes/kinds/metric-labels";
import { getGuardKind } from "@/nodes/kinds/registry";

export interface GuardStepLike {
  readonly iteration: number;
  readonly metrics: { readonly guards: Readonly<Record<string, { readonly fired: boolean }>> };
}

export interface GuardExplanation {
  readonly nodeId: string;
  readonly label: string;
  readonly kindLabel: string;
  readonly firedIterations: readonly number[];
  readonly iterations: number;
  readonly sentence: string;
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
      const firedIterations = steps
        .filter((step) => [node.id, ...keys].some((key) => step.metrics.guards[key]?.fired))
        .map((step) => step.iteration);
      const label = node.label ?? kind.label;
      const sentence =
        firedIterations.length === 0
          ? `${label} never fired: ${kind.whenQuiet}`
          : `${label} fired on ${firedIterations.length} of ${steps.length} iterations ` +
            `(${formatIterations(firedIterations)}): ${kind.whenFired}`;
      return [
        {
          nodeId: node.id,
          label,
          kindLabel: kind.label,
          firedIterations,
          iterations: steps.length,
          sentence,
        },
      ];
    });
}
