/**
 * Readable differences between two graph documents (proposals, version history), worded with the editor's
 * own labels: node names as their cards show them, parameter labels, option labels and units from the node
 * registry — “Probability regularization › Strength (γ): 1 → 5”, “Added Guard “Keep colours””, “Removed link
 * Noise 1 → Sampler 1”. Isomorphic and pure: the server sends these lines and the browser may compute them.
 *
 * Nodes are matched by id, links by what they connect (source, port → target, port), not by their ids, so a
 * link removed and drawn again is no change. Moves on the canvas are only counted (one summary line), the
 * viewport is ignored, and a parameter hidden for the node's kind on both sides (the editor keeps hidden
 * values) is not listed.
 */
import { describeParams, isParamVisible, type ParamFieldDescriptor } from "../describe-params";
import { getNodeDefinition } from "../registry";
import type { AnyNodeDefinition } from "../types";
import type { GraphDocument, GraphEdge, GraphNode } from "./document";
import { ISSUE_SEPARATOR, issueNodeName, numberText } from "./format-issues";

export type GraphChangeKind =
  | "node-added"
  | "node-removed"
  | "node-renamed"
  | "node-type-changed"
  | "param-changed"
  | "link-added"
  | "link-removed"
  | "moved";

export interface GraphChange {
  kind: GraphChangeKind;
  /** The sentence a person reads. */
  text: string;
  nodeId?: string;
  param?: string;
  /** For param changes: the node's name and the param's label, and both values as shown. */
  nodeName?: string;
  label?: string;
  before?: string;
  after?: string;
}

export interface GraphDiff {
  changes: GraphChange[];
  /** Nodes whose only change is their place on the canvas. */
  movedNodeIds: string[];
  /** “3 changes” / “No changes” (moves not counted). */
  summary: string;
}

function nodeName(node: GraphNode): string {
  return issueNodeName(node, getNodeDefinition(node.type));
}

/** “Guard “Keep colours””: the node's type title and its name. */
function titledName(node: GraphNode): string {
  const definition = getNodeDefinition(node.type);
  const title = definition?.title ?? node.type;
  const name = nodeName(node);
  return name.startsWith(title) && name !== title ? name : `${title} “${name}”`;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A value as the editor shows it: option labels for selects, units after numbers, on/off for checkboxes. */
export function formatParamValue(value: unknown, field: ParamFieldDescriptor | undefined): string {
  if (value === undefined || value === null) return "(not set)";
  if (field?.options && typeof value === "string") {
    return field.options.find((option) => option.value === value)?.label ?? value;
  }
  if (typeof value === "number")
    return field?.unit ? `${numberText(value)} ${field.unit}` : numberText(value);
  if (typeof value === "boolean") return value ? "on" : "off";
  if (typeof value === "string") {
    const shown = value.length > 60 ? `${value.slice(0, 60)}…` : value;
    return `“${shown}”`;
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => (typeof item === "number" ? numberText(item) : String(item))).join(", ")}]`;
  }
  return JSON.stringify(value);
}

function fieldsOf(definition: AnyNodeDefinition | undefined): readonly ParamFieldDescriptor[] {
  return definition ? describeParams(definition) : [];
}

function paramChanges(before: GraphNode, after: GraphNode): GraphChange[] {
  const definition = getNodeDefinition(after.type);
  const fields = fieldsOf(definition);
  const name = nodeName(after);
  const keys = [
    ...fields.map((field) => field.name),
    ...[...Object.keys(before.params), ...Object.keys(after.params)].filter(
      (key) => !fields.some((field) => field.name === key),
    ),
  ];
  const changes: GraphChange[] = [];
  for (const key of new Set(keys)) {
    const old = before.params[key];
    const now = after.params[key];
    if (sameValue(old, now)) continue;
    const field = fields.find((candidate) => candidate.name === key);
    // Hidden on both sides (another kind's setting): the editor does not show it, neither do we.
    if (field && !isParamVisible(field, before.params) && !isParamVisible(field, after.params)) continue;
    const label = field?.label ?? key;
    const shownBefore = formatParamValue(old, field);
    const shownAfter = formatParamValue(now, field);
    changes.push({
      kind: "param-changed",
      nodeId: after.id,
      param: key,
      nodeName: name,
      label,
      before: shownBefore,
      after: shownAfter,
      text: `${name}${ISSUE_SEPARATOR}${label}: ${shownBefore} → ${shownAfter}`,
    });
  }
  return changes;
}

function linkKey(edge: GraphEdge): string {
  return `${edge.source}\u0000${edge.sourcePort}\u0000${edge.target}\u0000${edge.targetPort}`;
}

function linkText(edge: GraphEdge, nodes: ReadonlyMap<string, GraphNode>): string {
  const source = nodes.get(edge.source);
  const target = nodes.get(edge.target);
  const sourceName = source ? nodeName(source) : edge.source;
  const targetName = target ? nodeName(target) : edge.target;
  const definition = target ? getNodeDefinition(target.type) : undefined;
  // Name the input only where the target has several (an Optimizer's Rewards vs Guards).
  const port =
    definition && definition.inputs.length > 1
      ? `${ISSUE_SEPARATOR}${definition.inputs.find((input) => input.name === edge.targetPort)?.label ?? edge.targetPort}`
      : "";
  return `${sourceName} → ${targetName}${port}`;
}

/** What changed from `before` to `after`, in the order of the nodes on the `after` side. */
export function diffGraphs(before: GraphDocument, after: GraphDocument): GraphDiff {
  const beforeNodes = new Map(before.nodes.map((node) => [node.id, node]));
  const afterNodes = new Map(after.nodes.map((node) => [node.id, node]));
  const changes: GraphChange[] = [];
  const movedNodeIds: string[] = [];

  for (const node of before.nodes) {
    if (!afterNodes.has(node.id)) {
      changes.push({ kind: "node-removed", nodeId: node.id, text: `Removed ${titledName(node)}` });
    }
  }
  for (const node of after.nodes) {
    const old = beforeNodes.get(node.id);
    if (!old) {
      changes.push({ kind: "node-added", nodeId: node.id, text: `Added ${titledName(node)}` });
      continue;
    }
    if (old.type !== node.type) {
      changes.push({
        kind: "node-type-changed",
        nodeId: node.id,
        text: `Replaced ${titledName(old)} with ${titledName(node)}`,
      });
      continue;
    }
    if (nodeName(old) !== nodeName(node)) {
      changes.push({
        kind: "node-renamed",
        nodeId: node.id,
        text: `Renamed ${titledName(old)} to “${nodeName(node)}”`,
      });
    }
    const params = paramChanges(old, node);
    changes.push(...params);
    const moved = old.position.x !== node.position.x || old.position.y !== node.position.y;
    if (moved && params.length === 0 && nodeName(old) === nodeName(node)) movedNodeIds.push(node.id);
  }

  const beforeLinks = new Map(before.edges.map((edge) => [linkKey(edge), edge]));
  const afterLinks = new Map(after.edges.map((edge) => [linkKey(edge), edge]));
  for (const [key, edge] of beforeLinks) {
    if (!afterLinks.has(key)) {
      changes.push({ kind: "link-removed", text: `Removed link ${linkText(edge, beforeNodes)}` });
    }
  }
  for (const [key, edge] of afterLinks) {
    if (!beforeLinks.has(key)) {
      changes.push({ kind: "link-added", text: `Added link ${linkText(edge, afterNodes)}` });
    }
  }

  const counted = changes.length;
  if (movedNodeIds.length > 0) {
    changes.push({
      kind: "moved",
      text: `Moved ${movedNodeIds.length === 1 ? "1 node" : `${movedNodeIds.length} nodes`} on the canvas`,
    });
  }
  const summary =
    counted === 0
      ? movedNodeIds.length > 0
        ? "Only moved on the canvas"
        : "No changes"
      : `${counted} ${counted === 1 ? "change" : "changes"}`;
  return { changes, movedNodeIds, summary };
}
