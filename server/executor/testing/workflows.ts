/**
 * Builds DNO workflow documents for executor tests and the benchmark: Prompt + Noise → Sampler → Rewards →
 * Optimizer, with Guards (and keeper rewards wired into keeper-floor Guards). Params left out take the node
 * declarations' defaults, exactly as in the editor.
 */
import type { GraphDocument, GraphEdge, GraphNode } from "@/nodes/graph/document";
import { getRewardKind } from "@/nodes/kinds/registry";
import { getNodeDefinition } from "@/nodes/registry";

export interface WorkflowSpec {
  model: string;
  prompt?: string;
  noise?: Record<string, unknown>;
  sampler?: Record<string, unknown>;
  rewards: { label?: string; params: Record<string, unknown> }[];
  guards?: {
    label?: string;
    params: Record<string, unknown>;
    keeper?: { label?: string; params: Record<string, unknown> };
  }[];
  optimizer?: Record<string, unknown>;
}

/** Whether the reward's kind declares the Prompt input (e.g. prompt faithfulness): then it is wired. */
function usesPrompt(params: Record<string, unknown>): boolean {
  const kind = typeof params.kind === "string" ? getRewardKind(params.kind) : undefined;
  return kind?.requiredPorts?.includes("conditioning") ?? false;
}

/**
 * The paper's optimizer as Optimizer version 1 ran it (Adam, constant step size, clipped rather than
 * normalized gradient, hybrid tries of μ 0.01): tests whose numbers were measured with Adam's per-value steps pin it, since the
 * node's defaults moved on (METHOD.md §7).
 */
export const PAPER_ADAM = {
  algorithm: "adam",
  schedule: "constant",
  normalizeGradient: false,
  smoothing: 0.01,
} as const;

export function dnoWorkflow(spec: WorkflowSpec): GraphDocument {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const node = (id: string, type: string, params: Record<string, unknown>, label?: string) => {
    nodes.push({
      id,
      type,
      // The current version, as the editor creates nodes (an old version would be migrated on parse).
      version: getNodeDefinition(type)?.version ?? 1,
      position: { x: nodes.length * 200, y: 0 },
      params,
      ...(label ? { label } : {}),
    });
  };
  const edge = (source: string, sourcePort: string, target: string, targetPort: string) => {
    edges.push({ id: `edge-${edges.length + 1}`, source, sourcePort, target, targetPort });
  };
  node("prompt-1", "prompt", { text: spec.prompt ?? "a red circle on a blue background" }, "Prompt");
  node("noise-1", "noise", spec.noise ?? {}, "Noise");
  node("sampler-1", "sampler", { model: spec.model, ...(spec.sampler ?? {}) }, "Sampler");
  node("optimizer-1", "optimizer", spec.optimizer ?? {}, "Optimizer");
  edge("prompt-1", "conditioning", "sampler-1", "conditioning");
  edge("noise-1", "noise", "sampler-1", "noise");
  spec.rewards.forEach((reward, index) => {
    const id = `reward-${index + 1}`;
    node(id, "reward", reward.params, reward.label);
    edge("sampler-1", "image", id, "image");
    edge(id, "reward", "optimizer-1", "rewards");
    if (usesPrompt(reward.params)) edge("prompt-1", "conditioning", id, "conditioning");
  });
  (spec.guards ?? []).forEach((guard, index) => {
    const id = `guard-${index + 1}`;
    node(id, "guard", guard.params, guard.label);
    edge(id, "guard", "optimizer-1", "guards");
    if (guard.keeper) {
      const keeperId = `keeper-${index + 1}`;
      node(keeperId, "reward", { weight: 0, ...guard.keeper.params }, guard.keeper.label);
      edge("sampler-1", "image", keeperId, "image");
      edge(keeperId, "reward", id, "reward");
      if (usesPrompt(guard.keeper.params)) edge("prompt-1", "conditioning", keeperId, "conditioning");
    }
  });
  return { schemaVersion: 2, nodes, edges };
}
