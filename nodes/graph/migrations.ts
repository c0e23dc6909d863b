/**
 * Graph document migrations: one step per schema version. To change the document shape, bump
 * GRAPH_SCHEMA_VERSION in document.ts and append a step here whose `from` is the previous version.
 * Each step validates its own input, so a damaged old document is reported where it is damaged.
 */
import { z } from "zod";
import { getNodeDefinition } from "../registry";

export interface MigrationStep {
  from: number;
  to: number;
  /** What changed, for logs and the README. */
  description: string;
  migrate(input: unknown): MigrationResult;
}

export type MigrationResult =
  | { ok: true; value: unknown }
  | { ok: false; error: { message: string; path?: (string | number)[] } };

function schemaError(version: number, error: z.ZodError): MigrationResult {
  const first = error.issues[0];
  const path = (first?.path ?? []).filter((key): key is string | number => typeof key !== "symbol");
  const where = path.length === 0 ? "the document" : path.join(".");
  return {
    ok: false,
    error: {
      message: `This version ${version} document is damaged at ${where}: ${first?.message ?? "invalid"}.`,
      path,
    },
  };
}

/** Version 1: what React Flow's `toObject()` gave, with params under `data`. */
const v1PositionSchema = z.object({ x: z.number(), y: z.number() });
const v1DocumentSchema = z.object({
  version: z.literal(1),
  nodes: z.array(
    z.object({
      id: z.string(),
      type: z.string(),
      position: v1PositionSchema,
      data: z
        .object({ params: z.record(z.string(), z.unknown()).optional(), label: z.string().optional() })
        .optional(),
    }),
  ),
  edges: z.array(
    z.object({
      id: z.string(),
      source: z.string(),
      sourceHandle: z.string().nullish(),
      target: z.string(),
      targetHandle: z.string().nullish(),
    }),
  ),
  viewport: z.object({ x: z.number(), y: z.number(), zoom: z.number() }).optional(),
});

/** The single port on that side of the node type, or a placeholder that validation reports as dangling. */
function onlyPortName(type: string | undefined, side: "inputs" | "outputs"): string {
  const ports = type === undefined ? [] : (getNodeDefinition(type)?.[side] ?? []);
  return ports.length === 1 && ports[0] ? ports[0].name : "unnamed";
}

const v1ToV2: MigrationStep = {
  from: 1,
  to: 2,
  description:
    "Flatten React Flow's node `data.params` into `params`, record each node's definition version (1), and " +
    "rename edge handles to ports.",
  migrate(input) {
    const parsed = v1DocumentSchema.safeParse(input);
    if (!parsed.success) return schemaError(1, parsed.error);
    const v1 = parsed.data;
    return {
      ok: true,
      value: {
        schemaVersion: 2,
        nodes: v1.nodes.map((node) => ({
          id: node.id,
          type: node.type,
          version: 1,
          position: { x: node.position.x, y: node.position.y },
          params: node.data?.params ?? {},
          ...(node.data?.label !== undefined ? { label: node.data.label } : {}),
        })),
        // React Flow leaves the handle null on single-handle nodes; from v2 on the port is always named.
        edges: v1.edges.map((edge) => {
          const sourceType = v1.nodes.find((node) => node.id === edge.source)?.type;
          const targetType = v1.nodes.find((node) => node.id === edge.target)?.type;
          return {
            id: edge.id,
            source: edge.source,
            sourcePort: edge.sourceHandle ?? onlyPortName(sourceType, "outputs"),
            target: edge.target,
            targetPort: edge.targetHandle ?? onlyPortName(targetType, "inputs"),
          };
        }),
        ...(v1.viewport ? { viewport: v1.viewport } : {}),
      },
    };
  },
};

/** Ordered by `from`; consecutive. */
export const documentMigrations: readonly MigrationStep[] = [v1ToV2];

/** Runs every step from `fromVersion` up to the newest one. */
export function migrateDocumentEnvelope(input: unknown, fromVersion: number): MigrationResult {
  let value = input;
  let version = fromVersion;
  for (const step of documentMigrations) {
    if (step.from !== version) continue;
    const result = step.migrate(value);
    if (!result.ok) return result;
    value = result.value;
    version = step.to;
  }
  return { ok: true, value };
}
