/** Graph document types as the editor sees them: the registry's own (one definition, in nodes/). */
export type { GraphDocument, GraphEdge, GraphNode, GraphPosition as XY } from "@/nodes/graph/document";
export type { GraphIssue } from "@/nodes/graph/validate";
