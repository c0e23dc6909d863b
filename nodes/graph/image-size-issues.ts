/**
 * An error on a Sampler whose Image size its model cannot draw (a fixed-size model asked for another size, or
 * a size off the model's granularity). Pure and isomorphic: it needs the server's model list (each model's
 * image-size rule), so the editor runs it next to validateGraph once the list has arrived; the executor
 * refuses the same sizes with the same words (server/models/image-size.ts).
 */
import type { ModelSummary } from "../context";
import { DEFAULT_MODEL_ID } from "../defs/sampler";
import { imageSizeProblem, MODEL_DEFAULT_IMAGE_SIZE } from "../image-size";
import { getNodeDefinition } from "../registry";
import type { GraphDocument, GraphNode } from "./document";
import { nodeIssueSentence } from "./format-issues";
import type { GraphIssue } from "./validate";

export type ModelImageSize = Pick<ModelSummary, "id" | "imageSize">;

/** One error per Sampler whose Image size its model does not allow; models without a rule get none. */
export function imageSizeIssues(doc: GraphDocument, models: readonly ModelImageSize[]): GraphIssue[] {
  const rules = new Map(models.map((model) => [model.id, model.imageSize]));
  const issues: GraphIssue[] = [];
  for (const node of doc.nodes) {
    if (node.type !== "sampler") continue;
    const size = node.params.imageSize;
    if (typeof size !== "number" || size === MODEL_DEFAULT_IMAGE_SIZE) continue;
    const model = typeof node.params.model === "string" ? node.params.model : DEFAULT_MODEL_ID;
    const rule = rules.get(model);
    const problem = rule ? imageSizeProblem(size, rule) : undefined;
    if (problem !== undefined) issues.push(imageSizeIssue(node, problem));
  }
  return issues;
}

/** “Sampler 1 › Image size: 128 px is not possible: …”, on the Sampler's Image size field. */
export function imageSizeIssue(node: Pick<GraphNode, "id" | "type" | "label">, problem: string): GraphIssue {
  return {
    code: "image-size-unsupported",
    severity: "error",
    blocks: "run",
    nodeId: node.id,
    param: "imageSize",
    message: nodeIssueSentence(node, getNodeDefinition(node.type), `Image size: ${problem}`),
  };
}
