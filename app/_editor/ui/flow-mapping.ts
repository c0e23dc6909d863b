/**
 * Maps the store's document to React Flow's node and edge objects, reusing the previous object of every
 * node whose inputs did not change. React Flow (and the memoized card) then skip unchanged nodes, which is
 * what keeps dragging one node in a 300-node graph cheap.
 */
import { type Edge, type NodeHandle, Position } from "@xyflow/react";
import { getNodeDefinition } from "@/nodes/registry";
import { PORT_COLORS } from "@/nodes/types";
import type { GraphDocument, GraphEdge, GraphIssue, GraphNode } from "../core/types";
import type { CardNode } from "./node-card";

export interface Measured {
  readonly width: number;
  readonly height: number;
}

/** A card's size before React Flow has measured it (width is fixed by CSS; height is typical). */
export const ESTIMATED_CARD_SIZE: Measured = { width: 280, height: 320 };

interface Estimate {
  readonly measured: Measured;
  readonly handles: NodeHandle[];
}

const estimates = new Map<string, Estimate>();

/**
 * Size and handle positions of a card that has not been measured yet. With them React Flow counts the node
 * as laid out, so it draws only the cards in view (instead of every card once, to measure it) and can
 * still route edges to the rest. A card is measured for real when it first scrolls into view. The height
 * ends in .5 so it never equals a measured one (equal sizes would skip the real handle measurement).
 */
function estimateCard(type: string): Estimate {
  const cached = estimates.get(type);
  if (cached) return cached;
  const definition = getNodeDefinition(type);
  const header = 38;
  const row = 24;
  const handles: NodeHandle[] = [];
  definition?.inputs.forEach((port, index) => {
    const y = header + 6 + index * row + 3;
    handles.push({ id: port.name, type: "target", position: Position.Left, x: -6, y, width: 12, height: 12 });
  });
  definition?.outputs.forEach((port, index) => {
    const y = header + 6 + index * row + 3;
    const x = ESTIMATED_CARD_SIZE.width - 6;
    handles.push({ id: port.name, type: "source", position: Position.Right, x, y, width: 12, height: 12 });
  });
  const estimate = {
    measured: { width: ESTIMATED_CARD_SIZE.width, height: ESTIMATED_CARD_SIZE.height + 0.5 },
    handles,
  };
  estimates.set(type, estimate);
  return estimate;
}

function cardName(node: GraphNode): string {
  if (node.label !== undefined && node.label.trim() !== "") return node.label;
  return `${getNodeDefinition(node.type)?.title ?? node.type} ${/-(\d+)$/.exec(node.id)?.[1] ?? node.id}`;
}

interface NodeCacheEntry {
  readonly graphNode: GraphNode;
  readonly selected: boolean;
  readonly issues: readonly GraphIssue[] | undefined;
  readonly measured: Measured | undefined;
  readonly flowNode: CardNode;
}

interface EdgeCacheEntry {
  readonly graphEdge: GraphEdge;
  readonly selected: boolean;
  readonly flowEdge: Edge;
}

export class FlowMapper {
  private nodeCache = new Map<string, NodeCacheEntry>();
  private edgeCache = new Map<string, EdgeCacheEntry>();

  nodes(
    document: GraphDocument,
    selected: ReadonlySet<string>,
    issuesByNode: ReadonlyMap<string, readonly GraphIssue[]>,
    measured: ReadonlyMap<string, Measured>,
    draggable: boolean,
  ): CardNode[] {
    const next = new Map<string, NodeCacheEntry>();
    const result = document.nodes.map((graphNode) => {
      const isSelected = selected.has(graphNode.id);
      const issues = issuesByNode.get(graphNode.id);
      const size = measured.get(graphNode.id);
      const cached = this.nodeCache.get(graphNode.id);
      if (
        cached &&
        cached.graphNode === graphNode &&
        cached.selected === isSelected &&
        cached.issues === issues &&
        cached.measured === size
      ) {
        next.set(graphNode.id, cached);
        return cached.flowNode;
      }
      // Keep the data object when only position/selection changed, so the memoized card skips rendering.
      const sameData =
        cached && cached.graphNode.params === graphNode.params && cached.graphNode.label === graphNode.label;
      const data =
        sameData && cached.issues === issues ? cached.flowNode.data : { node: graphNode, issues: issues };
      const flowNode: CardNode = {
        id: graphNode.id,
        type: "card",
        position: graphNode.position,
        data,
        selected: isSelected,
        draggable,
        dragHandle: ".node-head",
        // What a screen reader says when Tab reaches the card's frame ("Sampler 1", "Keep colours").
        ariaLabel: cardName(graphNode),
        ...(size ? { measured: size } : estimateCard(graphNode.type)),
      };
      next.set(graphNode.id, { graphNode, selected: isSelected, issues, measured: size, flowNode });
      return flowNode;
    });
    this.nodeCache = next;
    return result;
  }

  edges(document: GraphDocument, selected: ReadonlySet<string>): Edge[] {
    const next = new Map<string, EdgeCacheEntry>();
    const types = new Map<string, string>();
    for (const node of document.nodes) types.set(node.id, node.type);
    const result = document.edges.map((graphEdge) => {
      const isSelected = selected.has(graphEdge.id);
      const cached = this.edgeCache.get(graphEdge.id);
      if (cached && cached.graphEdge === graphEdge && cached.selected === isSelected) {
        next.set(graphEdge.id, cached);
        return cached.flowEdge;
      }
      const sourceType = types.get(graphEdge.source);
      const port = sourceType
        ? getNodeDefinition(sourceType)?.outputs.find((output) => output.name === graphEdge.sourcePort)
        : undefined;
      const flowEdge: Edge = {
        id: graphEdge.id,
        source: graphEdge.source,
        sourceHandle: graphEdge.sourcePort,
        target: graphEdge.target,
        targetHandle: graphEdge.targetPort,
        selected: isSelected,
        style: { stroke: port ? PORT_COLORS[port.type] : "#888" },
      };
      next.set(graphEdge.id, { graphEdge, selected: isSelected, flowEdge });
      return flowEdge;
    });
    this.edgeCache = next;
    return result;
  }
}

/**
 * The viewport that shows every node, from estimated card sizes, so the FIRST render already has about the
 * right zoom. React Flow renders every node once to measure it; at a zoomed-out estimate a big graph's
 * cards render in their light compact form instead of 300 full parameter forms. `fitView` corrects it to
 * the measured sizes afterwards.
 */
export function estimateFitViewport(
  document: GraphDocument,
  pane: Measured,
  options: { padding: number; minZoom: number; maxZoom: number },
): { x: number; y: number; zoom: number } {
  if (document.nodes.length === 0) return { x: 40, y: 40, zoom: Math.min(0.9, options.maxZoom) };
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (const node of document.nodes) {
    minX = Math.min(minX, node.position.x);
    minY = Math.min(minY, node.position.y);
    maxX = Math.max(maxX, node.position.x + ESTIMATED_CARD_SIZE.width);
    maxY = Math.max(maxY, node.position.y + ESTIMATED_CARD_SIZE.height);
  }
  const width = maxX - minX;
  const height = maxY - minY;
  const scale = 1 + 2 * options.padding;
  const zoom = Math.min(
    options.maxZoom,
    Math.max(options.minZoom, Math.min(pane.width / (width * scale), pane.height / (height * scale))),
  );
  return {
    x: (pane.width - width * zoom) / 2 - minX * zoom,
    y: (pane.height - height * zoom) / 2 - minY * zoom,
    zoom,
  };
}
