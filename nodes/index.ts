/** Public API of the node registry and the graph document (isomorphic: browser and server). */
export * from "./types";
export * from "./registry";
export * from "./describe-params";
export * from "./graph/document";
export * from "./graph/migrations";
export * from "./graph/validate";
export * from "./graph/connect";
export * from "./graph/create";
export * from "./graph/naming";
export * from "./graph/input-schema";
export * from "./graph/examples";
