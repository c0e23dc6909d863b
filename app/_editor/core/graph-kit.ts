/**
 * The graph operations the editor core needs, gathered behind one small interface so the store stays
 * plain TypeScript and the registry stays the single source of truth (the default kit reads `nodes/`).
 */
import type { GraphDocument, GraphEdge, GraphIssue, GraphNode } from "./types";

export interface ConnectionRequest {
  readonly source: string;
  readonly sourcePort: string;
  readonly target: string;
  readonly targetPort: string;
}

export type ConnectionCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface GraphKit {
  /** Whether `conn` may be added to `doc`; a refusal says why in plain language. */
  checkConnection(doc: GraphDocument, conn: ConnectionRequest): ConnectionCheck;
  /** Every issue of the whole graph in one pass. */
  validateGraph(doc: GraphDocument): readonly GraphIssue[];
  /** A fresh node of a registered type with default params. */
  createNode(type: string, id: string, position: { x: number; y: number }): GraphNode;
  /** Port names of a node type in declaration order (for wiring a new card to the selected one). */
  portsOf(type: string): { readonly inputs: readonly string[]; readonly outputs: readonly string[] };
  /** Tidy positions for every node (automatic layout), given the sizes the canvas measured. */
  layout(
    doc: GraphDocument,
    sizes: ReadonlyMap<string, { width: number; height: number }>,
  ): Promise<ReadonlyMap<string, { x: number; y: number }>>;
}

export type { GraphDocument, GraphEdge, GraphIssue, GraphNode };
