/** The graph kit backed by the node registry: the editor's only link to connection rules and validation. */
import { checkConnection } from "@/nodes/graph/connect";
import { createGraphNode } from "@/nodes/graph/create";
import { validateGraph } from "@/nodes/graph/validate";
import type { GraphKit } from "./graph-kit";

export const registryGraphKit: GraphKit = {
  checkConnection: (doc, conn) => {
    const result = checkConnection(doc, conn);
    return result.ok ? { ok: true } : { ok: false, reason: result.reason };
  },
  validateGraph: (doc) => validateGraph(doc),
  createNode: (type, id, position) => createGraphNode(type, { id, position }),
};
