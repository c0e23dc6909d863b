/** Building blocks for new documents and nodes; defaults always come from the node's params schema. */
import { getNodeDefinition } from "../registry";
import type { AnyNodeDefinition } from "../types";
import { GRAPH_SCHEMA_VERSION, type GraphDocument, type GraphNode, type GraphPosition } from "./document";

function requireDefinition(type: string): AnyNodeDefinition {
  const definition = getNodeDefinition(type);
  if (!definition)
    throw new Error(`Unknown node type "${type}": it is not in the node registry (nodes/defs/).`);
  return definition;
}

/** The params a new node of this type starts with (a fresh object each call). */
export function defaultParams(type: string): Record<string, unknown> {
  return requireDefinition(type).params.parse({});
}

export function emptyGraphDocument(): GraphDocument {
  return { schemaVersion: GRAPH_SCHEMA_VERSION, nodes: [], edges: [] };
}

/** The smallest n such that the returned `${type}-${n}` is unused, counting up from the largest existing n. */
function nextNumber(doc: GraphDocument, type: string): number {
  const prefix = `${type}-`;
  let largest = 0;
  for (const node of doc.nodes) {
    if (!node.id.startsWith(prefix)) continue;
    const n = Number(node.id.slice(prefix.length));
    if (Number.isInteger(n) && n > largest) largest = n;
  }
  return largest + 1;
}

/** A readable, unused id for a new node of this type: "sampler-1", "sampler-2", … */
export function nextNodeId(doc: GraphDocument, type: string): string {
  return `${type}-${nextNumber(doc, type)}`;
}

/** A readable, unused edge id for a connection. */
export function nextEdgeId(doc: GraphDocument): string {
  const used = new Set(doc.edges.map((edge) => edge.id));
  let n = doc.edges.length + 1;
  while (used.has(`edge-${n}`)) n += 1;
  return `edge-${n}`;
}

export interface CreateGraphNodeOptions {
  id: string;
  position: GraphPosition;
  /** Defaults to the node's title and the number in its id ("Sampler 1" for "sampler-1"). */
  label?: string;
  /** Overrides of the defaults. */
  params?: Record<string, unknown>;
}

/** A new node with default params at the node definition's current version. */
export function createGraphNode(type: string, options: CreateGraphNodeOptions): GraphNode {
  const definition = requireDefinition(type);
  const numberInId = /-(\d+)$/.exec(options.id)?.[1];
  const label = options.label ?? (numberInId ? `${definition.title} ${numberInId}` : definition.title);
  return {
    id: options.id,
    type,
    version: definition.version,
    position: { x: options.position.x, y: options.position.y },
    params: { ...defaultParams(type), ...options.params },
    label,
  };
}
