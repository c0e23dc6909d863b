/**
 * Labels for the keys of a run's iteration records (rewards by node id, guards by the report keys their
 * kind declares), so charts and the run view name each curve after its node, as on the canvas.
 */
import type { GraphDocument } from "../graph/document";
import { getGuardKind } from "./registry";

export function metricLabels(document: GraphDocument | undefined): Record<string, string> {
  const names: Record<string, string> = {};
  for (const node of document?.nodes ?? []) {
    const name = node.label ?? node.id;
    names[node.id] = name;
    const kind = node.params.kind;
    if (typeof kind !== "string") continue;
    if (node.type === "guard") {
      const keeper = document?.edges.find((edge) => edge.target === node.id && edge.targetPort === "reward");
      for (const key of getGuardKind(kind)?.reportKeys(keeper?.source) ?? []) names[key] ??= name;
    }
    names[kind] ??= name;
  }
  return names;
}
