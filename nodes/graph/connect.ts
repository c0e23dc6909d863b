/**
 * Whether a new connection may be made, with a reason the user can read where they dropped it. The same
 * rules as validateGraph, checked before the edge exists.
 */
import { getNodeDefinition } from "../registry";
import { PORT_TYPE_LABELS } from "../types";
import type { GraphDocument, GraphEdge } from "./document";
import { findPort, nodeDisplayName } from "./naming";

export type ConnectionRequest = Pick<GraphEdge, "source" | "sourcePort" | "target" | "targetPort">;

export type ConnectionRefusal =
  | "unknown-node"
  | "unknown-node-type"
  | "self-loop"
  | "unknown-port"
  | "type-mismatch"
  | "already-connected"
  | "port-occupied"
  | "cycle";

export type ConnectionCheck = { ok: true } | { ok: false; code: ConnectionRefusal; reason: string };

/** True when `to` can be reached from `from` by following edges forward. */
export function isReachable(doc: GraphDocument, from: string, to: string): boolean {
  const successors = new Map<string, string[]>();
  for (const edge of doc.edges)
    successors.set(edge.source, [...(successors.get(edge.source) ?? []), edge.target]);
  const seen = new Set<string>([from]);
  const queue = [from];
  while (queue.length > 0) {
    const id = queue.pop()!;
    if (id === to) return true;
    for (const next of successors.get(id) ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return false;
}

export function checkConnection(doc: GraphDocument, request: ConnectionRequest): ConnectionCheck {
  const refuse = (code: ConnectionRefusal, reason: string): ConnectionCheck => ({ ok: false, code, reason });
  const sourceNode = doc.nodes.find((node) => node.id === request.source);
  const targetNode = doc.nodes.find((node) => node.id === request.target);
  if (!sourceNode || !targetNode) {
    return refuse(
      "unknown-node",
      `The node “${!sourceNode ? request.source : request.target}” does not exist.`,
    );
  }
  if (sourceNode.id === targetNode.id) {
    return refuse("self-loop", "A node cannot be connected to itself.");
  }
  const sourceDefinition = getNodeDefinition(sourceNode.type);
  const targetDefinition = getNodeDefinition(targetNode.type);
  if (!sourceDefinition || !targetDefinition) {
    const unknown = !sourceDefinition ? sourceNode : targetNode;
    return refuse(
      "unknown-node-type",
      `“${unknown.label ?? unknown.id}” has an unknown node type (“${unknown.type}”).`,
    );
  }
  const sourceName = nodeDisplayName(sourceNode, sourceDefinition);
  const targetName = nodeDisplayName(targetNode, targetDefinition);
  const sourcePort = findPort(sourceDefinition, "outputs", request.sourcePort);
  if (!sourcePort) return refuse("unknown-port", `${sourceName} has no output “${request.sourcePort}”.`);
  const targetPort = findPort(targetDefinition, "inputs", request.targetPort);
  if (!targetPort) return refuse("unknown-port", `${targetName} has no input “${request.targetPort}”.`);

  if (sourcePort.type !== targetPort.type) {
    return refuse(
      "type-mismatch",
      `A ${PORT_TYPE_LABELS[sourcePort.type]} output cannot go into the ${targetPort.label} input of ` +
        `${targetDefinition.title} — it expects ${PORT_TYPE_LABELS[targetPort.type]}.`,
    );
  }
  const intoSamePort = doc.edges.filter(
    (edge) => edge.target === targetNode.id && edge.targetPort === targetPort.name,
  );
  if (intoSamePort.some((edge) => edge.source === sourceNode.id && edge.sourcePort === sourcePort.name)) {
    return refuse(
      "already-connected",
      `${sourceName} is already connected to the ${targetPort.label} input of ${targetName}.`,
    );
  }
  if (!targetPort.multiple && intoSamePort.length > 0) {
    return refuse(
      "port-occupied",
      `The ${targetPort.label} input of ${targetName} is already connected and takes only one connection. ` +
        "Remove the existing connection first.",
    );
  }
  if (isReachable(doc, targetNode.id, sourceNode.id)) {
    return refuse(
      "cycle",
      `This connection would create a loop: ${targetName} already feeds ${sourceName}. Connections must flow one way.`,
    );
  }
  return { ok: true };
}
