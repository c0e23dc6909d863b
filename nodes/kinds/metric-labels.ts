/**
 * Which node each key of a run's iteration records belongs to (rewards by node id, guards by the report keys
 * their kind declares), so charts name each curve after its node, as on the canvas, and a bad number is
 * attributed to the node that produced it.
 */
import type { GraphDocument } from "../graph/document";
import { getGuardKind } from "./registry";

/** Metric key → node id (node ids map to themselves; a guard's report keys to the Guard node). */
export function metricKeyNodes(document: GraphDocument | undefined): Record<string, string> {
  const owners: Record<string, string> = {};
  for (const node of document?.nodes ?? []) owners[node.id] = node.id;
  for (const node of document?.nodes ?? []) {
    const kind = node.params.kind;
    if (typeof kind !== "string") continue;
    if (node.type === "guard") {
      const keeper = document?.edges.find((edge) => edge.target === node.id && edge.targetPort === "reward");
      for (const key of getGuardKind(kind)?.reportKeys(keeper?.source) ?? []) owners[key] ??= node.id;
    }
    owners[kind] ??= node.id;
  }
  return owners;
}

/** Metric key → the label of its node (or the node id when it has none). */
export function metricLabels(document: GraphDocument | undefined): Record<string, string> {
  const names: Record<string, string> = {};
  const byId = new Map((document?.nodes ?? []).map((node) => [node.id, node]));
  for (const [key, nodeId] of Object.entries(metricKeyNodes(document))) {
    const node = byId.get(nodeId);
    if (node) names[key] = node.label ?? node.id;
  }
  return names;
}
