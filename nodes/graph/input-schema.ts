/**
 * The zod schema the API uses for graph documents it receives (save, run). Built from the registry: the
 * envelope with size caps, then every save-blocking issue of validateGraph (unknown node types, params out of
 * range, dangling edges, duplicate ids, type mismatches) as a zod issue at the node's path. Its output has each
 * node's params normalized: defaults filled in and unknown keys dropped.
 *
 * Imports of files, which may hold older versions, go through parseGraphDocument first.
 */
import type { z } from "zod";
import { getNodeDefinition } from "../registry";
import { type GraphDocument, graphDocumentSchema } from "./document";
import { issuesBlockingSave, validateGraph } from "./validate";

/** A node's params as JSON may not exceed this; the longest legitimate params (a prompt) are far below it. */
export const MAX_PARAMS_JSON_LENGTH = 20_000;

function issuePath(
  doc: GraphDocument,
  issue: { nodeId?: string; edgeId?: string; param?: string; port?: string },
) {
  // A connection's problem belongs to the connection, even when it also names the node it touches.
  if (issue.edgeId !== undefined) {
    const index = doc.edges.findIndex((edge) => edge.id === issue.edgeId);
    if (index >= 0) return ["edges", index];
  }
  if (issue.nodeId !== undefined) {
    const index = doc.nodes.findIndex((node) => node.id === issue.nodeId);
    if (index >= 0) {
      return issue.param !== undefined ? ["nodes", index, "params", issue.param] : ["nodes", index];
    }
  }
  return [];
}

export const graphDocumentInputSchema = graphDocumentSchema
  .superRefine((doc, ctx) => {
    for (const [index, node] of doc.nodes.entries()) {
      const size = JSON.stringify(node.params).length;
      if (size > MAX_PARAMS_JSON_LENGTH) {
        ctx.addIssue({
          code: "custom",
          path: ["nodes", index, "params"],
          message: `Node “${node.label ?? node.id}” has ${size} characters of parameters; the limit is ${MAX_PARAMS_JSON_LENGTH}.`,
        });
        return; // Do not validate oversized content any further.
      }
    }
    for (const issue of issuesBlockingSave(validateGraph(doc))) {
      ctx.addIssue({ code: "custom", path: issuePath(doc, issue), message: issue.message });
    }
  })
  .transform(
    (doc): GraphDocument => ({
      ...doc,
      nodes: doc.nodes.map((node) => {
        const definition = getNodeDefinition(node.type);
        // Refinement passed, so every node type is known and its params parse.
        const parsed = definition?.params.safeParse(node.params);
        return parsed?.success ? { ...node, params: parsed.data as Record<string, unknown> } : node;
      }),
    }),
  );

export type GraphDocumentInput = z.input<typeof graphDocumentInputSchema>;
