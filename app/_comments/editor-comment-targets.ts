/**
 * What the editor's "Comment on …" box offers: the whole workflow, the focused node (the one whose badge or
 * "Comment" action was used, else the selected one) and each of its parameters, named as the card names them
 * ("Guard › Strength (γ)"). Pure: tested without rendering.
 */
import { describeParams } from "@/nodes/describe-params";
import type { GraphDocument } from "@/nodes/graph/document";
import { ISSUE_SEPARATOR } from "@/nodes/graph/format-issues";
import { getNodeDefinition } from "@/nodes/registry";
import type { EditorCommentTarget } from "./comment-badges";

export interface EditorTargetChoice {
  readonly label: string;
  readonly target: EditorCommentTarget;
}

export function cardTitle(document: GraphDocument, nodeId: string): string {
  const node = document.nodes.find((candidate) => candidate.id === nodeId);
  if (!node) return `node ${nodeId}`;
  if (node.label !== undefined && node.label.trim() !== "") return node.label.trim();
  return getNodeDefinition(node.type)?.title ?? node.type;
}

export function editorTargetChoices(
  document: GraphDocument,
  focus: EditorCommentTarget | null,
): { choices: EditorTargetChoice[]; selected: number } {
  const choices: EditorTargetChoice[] = [{ label: "the whole workflow", target: { kind: "workflow" } }];
  if (!focus || focus.kind === "workflow") return { choices, selected: 0 };
  const node = document.nodes.find((candidate) => candidate.id === focus.nodeId);
  if (!node) return { choices, selected: 0 };
  const title = cardTitle(document, node.id);
  choices.push({ label: title, target: { kind: "node", nodeId: node.id } });
  let selected = 1;
  const definition = getNodeDefinition(node.type);
  for (const field of definition ? describeParams(definition) : []) {
    if (focus.kind === "param" && focus.paramKey === field.name) selected = choices.length;
    choices.push({
      label: `${title}${ISSUE_SEPARATOR}${field.label}`,
      target: { kind: "param", nodeId: node.id, paramKey: field.name },
    });
  }
  return { choices, selected };
}
