/**
 * Three-way merge of graph documents: a proposal's changes (base → proposal) replayed on a head that moved
 * since the proposal was branched. Used when a proposal is accepted after someone saved a newer version: if
 * the two sides changed different things (different params, different nodes, different links) the result
 * is the head with the proposal's changes; where both changed the same thing differently, the merge lists
 * the conflicts (worded like readable-diff.ts) and produces nothing.
 *
 * Granularity: a node's params one by one, its label, its type; links by what they connect. Positions never
 * conflict (the head's place wins when both moved a node).
 */
import { describeParams } from "../describe-params";
import { getNodeDefinition } from "../registry";
import type { GraphDocument, GraphEdge, GraphNode } from "./document";
import { ISSUE_SEPARATOR, issueNodeName } from "./format-issues";
import { formatParamValue } from "./readable-diff";

export type MergeResult = { ok: true; document: GraphDocument } | { ok: false; conflicts: string[] };

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function linkKey(edge: GraphEdge): string {
  return `${edge.source}\u0000${edge.sourcePort}\u0000${edge.target}\u0000${edge.targetPort}`;
}

function paramLabelOf(node: GraphNode, param: string): { label: string; show: (value: unknown) => string } {
  const definition = getNodeDefinition(node.type);
  const field = definition ? describeParams(definition).find((item) => item.name === param) : undefined;
  return { label: field?.label ?? param, show: (value) => formatParamValue(value, field) };
}

export function mergeGraphs(base: GraphDocument, proposal: GraphDocument, head: GraphDocument): MergeResult {
  const conflicts: string[] = [];
  const result = structuredClone(head);
  const baseNodes = new Map(base.nodes.map((node) => [node.id, node]));
  const proposalNodes = new Map(proposal.nodes.map((node) => [node.id, node]));
  const name = (node: GraphNode) => issueNodeName(node, getNodeDefinition(node.type));

  // Nodes the proposal removed.
  for (const node of base.nodes) {
    if (proposalNodes.has(node.id)) continue;
    const index = result.nodes.findIndex((candidate) => candidate.id === node.id);
    if (index < 0) continue;
    const current = result.nodes[index] as GraphNode;
    if (
      current.type !== node.type ||
      !same(current.params, node.params) ||
      (current.label ?? "") !== (node.label ?? "")
    ) {
      conflicts.push(`${name(current)} was removed by the proposal but changed in the current version.`);
      continue;
    }
    result.nodes.splice(index, 1);
    result.edges = result.edges.filter((edge) => edge.source !== node.id && edge.target !== node.id);
  }

  for (const node of proposal.nodes) {
    const old = baseNodes.get(node.id);
    const current = result.nodes.find((candidate) => candidate.id === node.id);
    if (!old) {
      // Added by the proposal.
      if (current) {
        if (!same(current, node))
          conflicts.push(`${name(node)}: a node with the same id was added in the current version.`);
        continue;
      }
      result.nodes.push(structuredClone(node));
      continue;
    }
    if (same(old, node)) continue;
    if (!current) {
      conflicts.push(`${name(node)} was changed by the proposal but removed in the current version.`);
      continue;
    }
    if (old.type !== node.type || old.version !== node.version) {
      if (current.type !== old.type || current.version !== old.version || !same(current.params, old.params)) {
        conflicts.push(`${name(node)} was replaced by the proposal and changed in the current version.`);
      } else {
        Object.assign(
          current,
          structuredClone({ type: node.type, version: node.version, params: node.params }),
        );
      }
      continue;
    }
    if ((old.label ?? "") !== (node.label ?? "")) {
      if ((current.label ?? "") === (old.label ?? "")) {
        if (node.label === undefined) delete current.label;
        else current.label = node.label;
      } else if ((current.label ?? "") !== (node.label ?? "")) {
        conflicts.push(`${name(current)} was renamed both in the proposal and in the current version.`);
      }
    }
    if (current.position.x === old.position.x && current.position.y === old.position.y) {
      current.position = { ...node.position };
    }
    for (const key of new Set([...Object.keys(old.params), ...Object.keys(node.params)])) {
      const from = old.params[key];
      const to = node.params[key];
      if (same(from, to)) continue;
      const now = current.params[key];
      if (same(now, from) || same(now, to)) {
        if (to === undefined) delete current.params[key];
        else current.params[key] = structuredClone(to);
        continue;
      }
      const { label, show } = paramLabelOf(node, key);
      conflicts.push(
        `${name(current)}${ISSUE_SEPARATOR}${label}: the proposal changes ${show(from)} to ${show(to)}, but the current version has ${show(now)}.`,
      );
    }
  }

  // Links: removed and added by what they connect.
  const proposalLinks = new Set(proposal.edges.map(linkKey));
  const baseLinks = new Set(base.edges.map(linkKey));
  const removed = new Set(base.edges.map(linkKey).filter((key) => !proposalLinks.has(key)));
  result.edges = result.edges.filter((edge) => !removed.has(linkKey(edge)));
  const present = new Set(result.edges.map(linkKey));
  const ids = new Set(result.edges.map((edge) => edge.id));
  const nodeIds = new Set(result.nodes.map((node) => node.id));
  for (const edge of proposal.edges) {
    const key = linkKey(edge);
    if (baseLinks.has(key) || present.has(key)) continue;
    if (!nodeIds.has(edge.source) || !nodeIds.has(edge.target)) {
      conflicts.push(
        `The proposal connects ${edge.source} to ${edge.target}, but one of them is no longer in the current version.`,
      );
      continue;
    }
    let id = edge.id;
    for (let suffix = 2; ids.has(id); suffix += 1) id = `${edge.id}-${suffix}`;
    ids.add(id);
    result.edges.push({ ...edge, id });
  }

  return conflicts.length > 0 ? { ok: false, conflicts } : { ok: true, document: result };
}
