/** How nodes, ports and port types are named in messages a user reads. */
import { listNodeDefinitions } from "../registry";
import { type AnyNodeDefinition, PORT_TYPE_LABELS, type PortDeclaration, type PortType } from "../types";
import type { GraphNode } from "./document";

/** `Sampler “Sampler 1”`: the node's type title and the name the user sees on its card. */
export function nodeDisplayName(
  node: Pick<GraphNode, "id" | "type" | "label">,
  definition?: AnyNodeDefinition,
): string {
  const title = definition?.title ?? node.type;
  const name = node.label !== undefined && node.label.trim() !== "" ? node.label : node.id;
  return `${title} “${name}”`;
}

/** The short name used inside loop descriptions: the label, or the id. */
export function nodeShortName(node: Pick<GraphNode, "id" | "label">): string {
  return node.label !== undefined && node.label.trim() !== "" ? node.label : node.id;
}

export function findPort(
  definition: AnyNodeDefinition,
  side: "inputs" | "outputs",
  name: string,
): PortDeclaration | undefined {
  return definition[side].find((port) => port.name === name);
}

/** "a Prompt node", "a Reward node", "a Sampler or Optimizer node": what can feed a port of this type. */
export function producersPhrase(type: PortType): string {
  const titles = listNodeDefinitions()
    .filter((definition) => definition.outputs.some((port) => port.type === type))
    .map((definition) => definition.title);
  if (titles.length === 0) return `a node with a ${PORT_TYPE_LABELS[type]} output`;
  const joined = titles.length === 1 ? titles[0] : `${titles.slice(0, -1).join(", ")} or ${titles.at(-1)}`;
  return `${/^[AEIOU]/.test(joined ?? "") ? "an" : "a"} ${joined} node`;
}
