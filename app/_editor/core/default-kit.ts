/** The graph kit backed by the node registry: the editor's only link to connection rules and validation. */
import { checkConnection } from "@/nodes/graph/connect";
import { createGraphNode } from "@/nodes/graph/create";
import { layoutDocument } from "@/nodes/graph/layout";
import { validateGraph } from "@/nodes/graph/validate";
import { getNodeDefinition } from "@/nodes/registry";
import type { GraphKit } from "./graph-kit";

export const registryGraphKit: GraphKit = {
  checkConnection: (doc, conn) => {
    const result = checkConnection(doc, conn);
    return result.ok ? { ok: true } : { ok: false, reason: result.reason };
  },
  validateGraph: (doc) => validateGraph(doc),
  createNode: (type, id, position) => createGraphNode(type, { id, position }),
  portsOf: (type) => {
    const definition = getNodeDefinition(type);
    return {
      inputs: definition?.inputs.map((port) => port.name) ?? [],
      outputs: definition?.outputs.map((port) => port.name) ?? [],
    };
  },
  layout: (doc, sizes) => layoutDocument(doc, { sizes }),
};
