/**
 * Automatic layout of a workflow (elkjs' layered algorithm, the Sugiyama method made for data-flow diagrams
 * with ports): cards flow left to right along their links, inputs on the left edge and outputs on the right in
 * declaration order, with room between cards so that none overlap. Used by the editor's "Tidy up", and for
 * imports and examples whose cards overlap. Isomorphic: runs in the browser and on the server.
 */
import ELK from "elkjs/lib/elk.bundled.js";
import type { ElkNode } from "elkjs/lib/elk-api";
import type { AnyNodeDefinition } from "../types";
import { getNodeDefinition } from "../registry";
import type { GraphDocument, GraphPosition } from "./document";

export interface LayoutSize {
  readonly width: number;
  readonly height: number;
}

/** A card the canvas has not measured: the CSS width of `.node-card` and a typical height. */
export const LAYOUT_DEFAULT_SIZE: LayoutSize = { width: 280, height: 240 };

/** Gaps between cards (px): across layers (horizontal) and inside one layer (vertical). */
export const LAYOUT_SPACING = { betweenLayers: 80, betweenCards: 48 } as const;

export interface LayoutOptions {
  /** Measured card sizes by node id; others use LAYOUT_DEFAULT_SIZE. */
  readonly sizes?: ReadonlyMap<string, LayoutSize>;
  /** Where the top-left of the laid-out graph goes (default: the current top-left of the cards, or 0,0). */
  readonly origin?: GraphPosition;
  readonly getDefinition?: (type: string) => AnyNodeDefinition | undefined;
}

const elk = new ELK();

function portId(nodeId: string, side: "in" | "out", port: string): string {
  return `${nodeId}\u0000${side}\u0000${port}`;
}

/** New positions for every node of `document` (by id). Links to unknown nodes or ports are ignored. */
export async function layoutDocument(
  document: GraphDocument,
  options: LayoutOptions = {},
): Promise<Map<string, GraphPosition>> {
  const getDefinition = options.getDefinition ?? getNodeDefinition;
  const knownPorts = new Set<string>();
  const children: ElkNode[] = document.nodes.map((node, order) => {
    const definition = getDefinition(node.type);
    const size = options.sizes?.get(node.id) ?? LAYOUT_DEFAULT_SIZE;
    const ports = [
      ...(definition?.inputs ?? []).map((port, index) => ({
        id: portId(node.id, "in", port.name),
        layoutOptions: { "elk.port.side": "WEST", "elk.port.index": String(index) },
      })),
      ...(definition?.outputs ?? []).map((port, index) => ({
        id: portId(node.id, "out", port.name),
        layoutOptions: { "elk.port.side": "EAST", "elk.port.index": String(index) },
      })),
    ];
    for (const port of ports) knownPorts.add(port.id);
    return {
      id: node.id,
      width: size.width,
      height: size.height,
      ports,
      // Keeps the document's order as the tie-breaker, so the same graph always gets the same layout.
      layoutOptions: {
        "elk.portConstraints": "FIXED_ORDER",
        "elk.priority": String(document.nodes.length - order),
      },
    };
  });
  const edges = document.edges
    .map((edge) => ({
      id: edge.id,
      source: portId(edge.source, "out", edge.sourcePort),
      target: portId(edge.target, "in", edge.targetPort),
    }))
    .filter((edge) => knownPorts.has(edge.source) && knownPorts.has(edge.target))
    .map((edge) => ({ id: edge.id, sources: [edge.source], targets: [edge.target] }));

  const laidOut = await elk.layout({
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.padding": "[top=0,left=0,bottom=0,right=0]",
      "elk.layered.spacing.nodeNodeBetweenLayers": String(LAYOUT_SPACING.betweenLayers),
      "elk.spacing.nodeNode": String(LAYOUT_SPACING.betweenCards),
      "elk.spacing.componentComponent": String(LAYOUT_SPACING.betweenCards),
      "elk.layered.nodePlacement.strategy": "NETWORK_SIMPLEX",
      "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
      // Cards keep the document's top-to-bottom order inside a column (Prompt above Noise, as people add them).
      "elk.layered.crossingMinimization.forceNodeModelOrder": "true",
    },
    children,
    edges,
  });

  const origin = options.origin ?? topLeft(document);
  const positions = new Map<string, GraphPosition>();
  for (const child of laidOut.children ?? []) {
    positions.set(child.id, {
      x: Math.round(origin.x + (child.x ?? 0)),
      y: Math.round(origin.y + (child.y ?? 0)),
    });
  }
  return positions;
}

function topLeft(document: GraphDocument): GraphPosition {
  if (document.nodes.length === 0) return { x: 0, y: 0 };
  return {
    x: Math.min(...document.nodes.map((node) => node.position.x)),
    y: Math.min(...document.nodes.map((node) => node.position.y)),
  };
}

/** Whether any two cards (at LAYOUT_DEFAULT_SIZE unless measured) cover each other. */
export function hasOverlappingCards(
  document: GraphDocument,
  sizes: ReadonlyMap<string, LayoutSize> = new Map(),
): boolean {
  const boxes = document.nodes.map((node) => ({
    ...node.position,
    ...(sizes.get(node.id) ?? LAYOUT_DEFAULT_SIZE),
  }));
  for (const [i, a] of boxes.entries()) {
    for (const b of boxes.slice(i + 1)) {
      if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height)
        return true;
    }
  }
  return false;
}

/** The document with the layout applied (a new object; the input is not changed). */
export async function tidyDocument(
  document: GraphDocument,
  options: LayoutOptions = {},
): Promise<GraphDocument> {
  const positions = await layoutDocument(document, options);
  return {
    ...document,
    nodes: document.nodes.map((node) => ({ ...node, position: positions.get(node.id) ?? node.position })),
  };
}
