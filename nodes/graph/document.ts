/**
 * The saved form of a workflow graph: versioned JSON. Older documents are migrated on load
 * (see migrations.ts); node params of older node versions go through their definition's `migrateParams`.
 */
import { z } from "zod";
import { getNodeDefinition } from "../registry";
import type { AnyNodeDefinition } from "../types";
import { migrateDocumentEnvelope } from "./migrations";

/** Bump together with a new step in migrations.ts. */
export const GRAPH_SCHEMA_VERSION = 2;

/** Size caps: a document beyond them is refused before anything else looks at it. */
export const GRAPH_LIMITS = {
  maxNodes: 2000,
  maxEdges: 5000,
  maxIdLength: 100,
  maxLabelLength: 200,
  maxTypeLength: 100,
  /** Positions far outside any screen are corrupt, not big canvases. */
  maxCoordinate: 10_000_000,
} as const;

export interface GraphPosition {
  x: number;
  y: number;
}

export interface GraphNode {
  id: string;
  /** Node type id from the registry. */
  type: string;
  /** The node definition's version the params were written for. */
  version: number;
  position: GraphPosition;
  params: Record<string, unknown>;
  /** The name the user gave the node (shown on its card and in messages). */
  label?: string;
}

export interface GraphEdge {
  id: string;
  source: string;
  sourcePort: string;
  target: string;
  targetPort: string;
}

export interface GraphViewport {
  x: number;
  y: number;
  zoom: number;
}

export interface GraphDocument {
  schemaVersion: typeof GRAPH_SCHEMA_VERSION;
  nodes: GraphNode[];
  edges: GraphEdge[];
  viewport?: GraphViewport;
}

const idSchema = z.string().min(1).max(GRAPH_LIMITS.maxIdLength);
const coordinateSchema = z.number().min(-GRAPH_LIMITS.maxCoordinate).max(GRAPH_LIMITS.maxCoordinate);

export const graphPositionSchema = z.object({ x: coordinateSchema, y: coordinateSchema });

export const graphNodeSchema = z.object({
  id: idSchema,
  type: z.string().min(1).max(GRAPH_LIMITS.maxTypeLength),
  version: z.int().min(1).max(1_000_000),
  position: graphPositionSchema,
  params: z.record(z.string().max(GRAPH_LIMITS.maxIdLength), z.unknown()),
  label: z.string().max(GRAPH_LIMITS.maxLabelLength).optional(),
});

export const graphEdgeSchema = z.object({
  id: idSchema,
  source: idSchema,
  sourcePort: idSchema,
  target: idSchema,
  targetPort: idSchema,
});

export const graphViewportSchema = z.object({
  x: coordinateSchema,
  y: coordinateSchema,
  zoom: z.number().min(0.001).max(1000),
});

/** The envelope only: node params are checked per node type by input-schema.ts and validate.ts. */
export const graphDocumentSchema = z.object({
  schemaVersion: z.literal(GRAPH_SCHEMA_VERSION),
  nodes: z.array(graphNodeSchema).max(GRAPH_LIMITS.maxNodes),
  edges: z.array(graphEdgeSchema).max(GRAPH_LIMITS.maxEdges),
  viewport: graphViewportSchema.optional(),
});

// Keeps the hand-written interfaces and the schema in step: a drift is a compile error here.
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const schemaMatchesInterface: Equals<z.output<typeof graphDocumentSchema>, GraphDocument> = true;
void schemaMatchesInterface;

export type GraphDocumentErrorCode = "malformed" | "future-version" | "unsupported-version";

export interface GraphDocumentError {
  code: GraphDocumentErrorCode;
  message: string;
  /** Where in the document the problem is, e.g. ["nodes", 3, "position", "x"]. */
  path?: (string | number)[];
}

export type ParseGraphDocumentResult =
  | { ok: true; document: GraphDocument; migratedFrom?: number; migratedNodeIds?: string[] }
  | { ok: false; error: GraphDocumentError };

export interface ParseGraphDocumentOptions {
  /** Where node definitions come from (the registry unless given; tests pass their own node types). */
  getDefinition?: (type: string) => AnyNodeDefinition | undefined;
}

/** The oldest document schema this app can still migrate. */
export const OLDEST_SUPPORTED_SCHEMA_VERSION = 1;

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    out += typeof key === "number" ? `[${key}]` : `${out === "" ? "" : "."}${String(key)}`;
  }
  return out === "" ? "(document)" : out;
}

/** v1 documents carried `version`; v2 and later carry `schemaVersion`. */
function readSchemaVersion(input: Record<string, unknown>): unknown {
  if ("schemaVersion" in input) return input.schemaVersion;
  if ("version" in input) return input.version;
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Reads a graph document of any supported schema version (an object, or JSON text) and returns it in the
 * current version. Never throws: every problem comes back as a typed error naming what and where.
 * Unknown node types and invalid params are NOT errors here; `validateGraph` reports them per node.
 */
export function parseGraphDocument(
  input: unknown,
  options: ParseGraphDocumentOptions = {},
): ParseGraphDocumentResult {
  const lookup = options.getDefinition ?? getNodeDefinition;
  let raw = input;
  if (typeof raw === "string") {
    try {
      raw = JSON.parse(raw);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      return { ok: false, error: { code: "malformed", message: `The file is not valid JSON (${detail}).` } };
    }
  }
  if (!isRecord(raw)) {
    return {
      ok: false,
      error: {
        code: "malformed",
        message: "A workflow document must be a JSON object with nodes and edges.",
      },
    };
  }
  const version = readSchemaVersion(raw);
  if (typeof version !== "number" || !Number.isInteger(version)) {
    return {
      ok: false,
      error: {
        code: "malformed",
        message:
          "The document has no schema version (a whole number in “schemaVersion”), so it cannot be read.",
        path: ["schemaVersion"],
      },
    };
  }
  if (version > GRAPH_SCHEMA_VERSION) {
    return {
      ok: false,
      error: {
        code: "future-version",
        message:
          `This workflow was saved by a newer DNO Studio (document version ${version}; this app reads up to ` +
          `version ${GRAPH_SCHEMA_VERSION}). Update the app to open it.`,
        path: ["schemaVersion"],
      },
    };
  }
  if (version < OLDEST_SUPPORTED_SCHEMA_VERSION) {
    return {
      ok: false,
      error: {
        code: "unsupported-version",
        message: `Document version ${version} is not supported; the oldest version this app reads is ${OLDEST_SUPPORTED_SCHEMA_VERSION}.`,
        path: ["schemaVersion"],
      },
    };
  }

  const migrated = migrateDocumentEnvelope(raw, version);
  if (!migrated.ok) return { ok: false, error: { code: "malformed", ...migrated.error } };

  const parsed = graphDocumentSchema.safeParse(migrated.value);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const path = (first?.path ?? []).filter((key): key is string | number => typeof key !== "symbol");
    return {
      ok: false,
      error: {
        code: "malformed",
        message: `The document is damaged at ${formatPath(path)}: ${first?.message ?? "invalid value"}.`,
        path,
      },
    };
  }

  const document: GraphDocument = parsed.data;
  const migratedNodeIds: string[] = [];
  for (const [index, node] of document.nodes.entries()) {
    const definition = lookup(node.type);
    if (!definition) continue; // validateGraph reports unknown types per node.
    if (node.version > definition.version) {
      return {
        ok: false,
        error: {
          code: "future-version",
          message:
            `Node “${node.label ?? node.id}” is a ${definition.title} of version ${node.version}, but this app ` +
            `knows ${definition.title} up to version ${definition.version}. Update the app to open it.`,
          path: ["nodes", index, "version"],
        },
      };
    }
    if (node.version < definition.version) {
      if (!definition.migrateParams) {
        return {
          ok: false,
          error: {
            code: "unsupported-version",
            message: `Node “${node.label ?? node.id}” is an old ${definition.title} (version ${node.version}) that this app can no longer upgrade.`,
            path: ["nodes", index, "version"],
          },
        };
      }
      try {
        node.params = definition.migrateParams(node.version, node.params);
      } catch (error) {
        const detail = error instanceof Error ? error.message : String(error);
        return {
          ok: false,
          error: {
            code: "malformed",
            message: `Node “${node.label ?? node.id}” (${definition.title}) could not be upgraded: ${detail}`,
            path: ["nodes", index, "params"],
          },
        };
      }
      node.version = definition.version;
      migratedNodeIds.push(node.id);
    }
  }

  return {
    ok: true,
    document,
    ...(version < GRAPH_SCHEMA_VERSION ? { migratedFrom: version } : {}),
    ...(migratedNodeIds.length > 0 ? { migratedNodeIds } : {}),
  };
}
