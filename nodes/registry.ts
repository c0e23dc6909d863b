/**
 * The one list of node types. The palette, the node card, connection rules, graph validation, the tRPC input
 * schema and the executor all read it; nobody keeps a second list.
 */
import { generatedNodeDefinitions } from "./defs/index.generated";
import { type AnyNodeDefinition, NODE_CATEGORIES } from "./types";

function buildRegistry(definitions: readonly AnyNodeDefinition[]): ReadonlyMap<string, AnyNodeDefinition> {
  const byType = new Map<string, AnyNodeDefinition>();
  for (const definition of definitions) {
    if (byType.has(definition.type)) {
      throw new Error(`Two node files declare the node type "${definition.type}". Type ids must be unique.`);
    }
    byType.set(definition.type, definition);
  }
  return byType;
}

const registry = buildRegistry(generatedNodeDefinitions);

/** Palette order: by category (inputs first, optimization last), then by title. */
function paletteOrder(): AnyNodeDefinition[] {
  return [...registry.values()].sort(
    (a, b) =>
      NODE_CATEGORIES.indexOf(a.category) - NODE_CATEGORIES.indexOf(b.category) ||
      a.title.localeCompare(b.title),
  );
}
let orderedDefinitions: readonly AnyNodeDefinition[] = paletteOrder();

export function listNodeDefinitions(): readonly AnyNodeDefinition[] {
  return orderedDefinitions;
}

export function getNodeDefinition(type: string): AnyNodeDefinition | undefined {
  return registry.get(type);
}

export function isKnownNodeType(type: string): boolean {
  return registry.has(type);
}

/**
 * Swaps in a rebuilt declaration of an existing node type: how registering a kind (nodes/kinds/registry.ts)
 * extends the node's kind select. Not a way to add node types (those are files in nodes/defs/).
 */
export function replaceNodeDefinition(definition: AnyNodeDefinition): void {
  if (!registry.has(definition.type)) {
    throw new Error(`No node type "${definition.type}" to replace; add a file in nodes/defs/ instead.`);
  }
  (registry as Map<string, AnyNodeDefinition>).set(definition.type, definition);
  orderedDefinitions = paletteOrder();
}

/** Every node type id, in palette order. */
export const nodeTypeIds: readonly string[] = orderedDefinitions.map((definition) => definition.type);
