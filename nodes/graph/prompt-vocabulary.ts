/**
 * Warns when a Prompt uses words the Sampler's model never saw in training: such words do nothing useful
 * (the tokenizer maps them to an unknown token) and the run still "succeeds" with a washed-out picture.
 * Pure and isomorphic; it needs the server's model list (each model's optional vocabulary), so the editor
 * runs it next to validateGraph once the list has arrived. Models without a vocabulary get no warning.
 */
import type { ModelSummary } from "../context";
import { DEFAULT_MODEL_ID } from "../defs/sampler";
import { getNodeDefinition } from "../registry";
import type { GraphDocument, GraphNode } from "./document";
import { nodeIssueSentence } from "./format-issues";
import type { GraphIssue } from "./validate";

/** Glue words people add that carry no picture content; never reported even when the model lacks them. */
export const PROMPT_STOP_WORDS: ReadonlySet<string> = new Set([
  "a",
  "an",
  "the",
  "on",
  "of",
  "in",
  "with",
  "and",
]);
/** How many known words the message lists before "…". */
const KNOWN_WORDS_SHOWN = 24;

const PROMPT_PARAMS = [
  { param: "text", label: "Prompt" },
  { param: "negativeText", label: "Negative prompt" },
] as const;

export type ModelVocabulary = Pick<ModelSummary, "id" | "name" | "vocabulary">;

/** Lowercased words without punctuation ("Cat's, beach!" → ["cats", "beach"]). */
export function promptWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/['’]/g, "")
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word !== "");
}

/** The words of `text` outside the vocabulary (stop words excepted), each once, in prompt order. */
export function unknownPromptWords(text: string, vocabulary: readonly string[]): string[] {
  const known = new Set(vocabulary.map((word) => word.toLowerCase()));
  const unknown = new Set<string>();
  for (const word of promptWords(text)) {
    if (!known.has(word) && !PROMPT_STOP_WORDS.has(word)) unknown.add(word);
  }
  return [...unknown];
}

/** The model ids of the Samplers a Prompt's conditioning feeds. */
function samplerModelsOf(doc: GraphDocument, prompt: GraphNode, nodesById: Map<string, GraphNode>): string[] {
  const ids = new Set<string>();
  for (const edge of doc.edges) {
    if (edge.source !== prompt.id) continue;
    const target = nodesById.get(edge.target);
    if (target?.type !== "sampler") continue;
    const model = target.params.model;
    ids.add(typeof model === "string" ? model : DEFAULT_MODEL_ID);
  }
  return [...ids];
}

function knownWordsList(vocabulary: readonly string[]): string {
  const shown = vocabulary.filter((word) => !PROMPT_STOP_WORDS.has(word));
  const listed = shown.slice(0, KNOWN_WORDS_SHOWN).join(", ");
  return shown.length > KNOWN_WORDS_SHOWN ? `${listed}…` : listed;
}

/** One warning per Prompt text and model with words that model never saw. */
export function promptVocabularyIssues(doc: GraphDocument, models: readonly ModelVocabulary[]): GraphIssue[] {
  const nodesById = new Map(doc.nodes.map((node) => [node.id, node]));
  const modelsById = new Map(models.map((model) => [model.id, model]));
  const issues: GraphIssue[] = [];
  for (const node of doc.nodes) {
    if (node.type !== "prompt") continue;
    const definition = getNodeDefinition(node.type);
    for (const modelId of samplerModelsOf(doc, node, nodesById)) {
      const model = modelsById.get(modelId);
      const vocabulary = model?.vocabulary;
      if (!model || !vocabulary || vocabulary.length === 0) continue;
      for (const { param, label } of PROMPT_PARAMS) {
        const text = node.params[param];
        if (typeof text !== "string") continue;
        const unknown = unknownPromptWords(text, vocabulary);
        if (unknown.length === 0) continue;
        const words = unknown.map((word) => `“${word}”`).join(", ");
        issues.push({
          code: "prompt-unknown-words",
          severity: "warning",
          blocks: "run",
          nodeId: node.id,
          param,
          message: nodeIssueSentence(
            node,
            definition,
            `${label}: the model “${model.name || model.id}” has never seen ${words}; it knows: ${knownWordsList(vocabulary)}`,
          ),
        });
      }
    }
  }
  return issues;
}
