/** Public API of the node registry and the graph document (isomorphic: browser and server). */
export * from "./types";
export * from "./registry";
export * from "./graph/document";
export * from "./graph/migrations";
