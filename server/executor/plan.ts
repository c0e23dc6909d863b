/**
 * The planner: from a graph document to what the DNO loop runs. It validates the whole graph first
 * (every blocking issue at once), orders the nodes, finds the differentiable path from the Noise node's
 * optimized tensors through the Sampler to the Optimizer's objective (its Rewards, and the keeper
 * rewards its Guards name), and says for each node on that path how a gradient is pulled back through
 * it. A node without a gradient is handed to the estimator the Optimizer names, or the run is refused
 * here, before any model is loaded, with a message naming the node and what to choose.
 */
import type { z } from "zod";
import type { guardNode } from "@/nodes/defs/guard";
import type { noiseNode } from "@/nodes/defs/noise";
import type { optimizerNode } from "@/nodes/defs/optimizer";
import type { promptNode } from "@/nodes/defs/prompt";
import type { RewardKind, rewardNode } from "@/nodes/defs/reward";
import type { samplerNode } from "@/nodes/defs/sampler";
import type { GraphDocument, GraphNode } from "@/nodes/graph/document";
import { nodeDisplayName } from "@/nodes/graph/naming";
import { issuesBlockingRun, validateGraph } from "@/nodes/graph/validate";
import { getGradientEstimator } from "@/nodes/kinds/gradient-estimators";
import { getGuardKind, getRewardKind } from "@/nodes/kinds/registry";
import type { GuardAttachment, RewardGradientKind } from "@/nodes/kinds/types";
import { getNodeDefinition } from "@/nodes/registry";
import { PlanRefusedError, WorkflowInvalidError } from "./errors";

export type PromptParams = z.output<typeof promptNode.params>;
export type NoiseParams = z.output<typeof noiseNode.params>;
export type SamplerParams = z.output<typeof samplerNode.params>;
export type RewardParams = z.output<typeof rewardNode.params>;
export type GuardParams = z.output<typeof guardNode.params>;
export type OptimizerParams = z.output<typeof optimizerNode.params>;
export type GradientEstimatorChoice = OptimizerParams["estimator"];
/** An estimator that supplies directions (declared with `estimates` other than "none"). */
export type SamplingEstimator = Exclude<GradientEstimatorChoice, "backprop">;

/** How the gradient of the objective is pulled back through a node on the differentiable path. */
export type GradientRule =
  /** The Noise node: its tensors are the optimized variables (x_T, and z_t per step when optimized). */
  | { kind: "variable"; tensors: "initial" | "initial-and-steps" }
  /** The Sampler: VAE-decoder VJP, then per DDIM step the batch-2B CFG UNet VJP w.r.t. `sample`. */
  | { kind: "ddim-reverse" }
  /** Brightness, darkness, saturation, contrast: closed-form image gradients. */
  | { kind: "analytic" }
  /** Classifier probability / prompt faithfulness: the classifier's VJP model. */
  | { kind: "classifier-vjp" }
  /** Custom ONNX reward: preprocessing adjoint + the user model's VJP model. */
  | { kind: "onnx-vjp" }
  /** No gradient: the Optimizer's estimator supplies the direction (ZO: for every node on the path). */
  | { kind: "estimator"; estimator: SamplingEstimator };

export interface PlannedNode<P = Record<string, unknown>> {
  readonly id: string;
  readonly type: string;
  /** `Reward “JPEG size”`: how messages name the node. */
  readonly displayName: string;
  /** The user's label, or the id. */
  readonly name: string;
  readonly params: P;
}

export interface PlannedReward extends PlannedNode<RewardParams> {
  readonly kind: RewardKind;
  /** Weight in the objective; 0 for a reward that is only a keeper (connected to a Guard, not the Optimizer). */
  readonly weight: number;
  readonly inObjective: boolean;
  readonly differentiable: boolean;
  readonly gradient: GradientRule;
  /** The prompt text it judges against (prompt faithfulness): its own Prompt input, else the Sampler's. */
  readonly promptText: string;
}

/** Where a guard acts (declared per kind in nodes/kinds/guards/): the noise, a keeper reward, or the loop. */
export type { GuardAttachment };

export interface PlannedGuard extends PlannedNode<GuardParams> {
  readonly attachTo: GuardAttachment;
  /** Keeper floor: the reward node it watches. */
  readonly keeperRewardId?: string;
}

export interface RunPlan {
  readonly document: GraphDocument;
  /** Every node, topologically ordered (producers first). */
  readonly order: readonly PlannedNode[];
  /** Node ids of the differentiable path, from the Noise node to the Optimizer. */
  readonly path: readonly string[];
  /** How each node of `path` pulls a gradient back (the Optimizer itself is the objective's root). */
  readonly gradients: Readonly<Record<string, GradientRule>>;
  /** Nodes that do not feed the Optimizer; they do not run. */
  readonly ignored: readonly string[];
  readonly prompt: PlannedNode<PromptParams>;
  readonly noise: PlannedNode<NoiseParams>;
  readonly sampler: PlannedNode<SamplerParams>;
  readonly rewards: readonly PlannedReward[];
  readonly guards: readonly PlannedGuard[];
  readonly optimizer: PlannedNode<OptimizerParams>;
  readonly estimator: GradientEstimatorChoice;
  /** Seeds of the batch: the Noise node's seed first. */
  readonly seeds: readonly number[];
  /** Whether the per-step noises are optimized (Noise asks for it and the Sampler's eta > 0). */
  readonly optimizeStepNoise: boolean;
}

function parsedNode<P>(node: GraphNode): PlannedNode<P> {
  const definition = getNodeDefinition(node.type);
  if (!definition)
    throw new PlanRefusedError(`Node “${node.id}” has the unknown type “${node.type}”.`, node.id);
  // validateGraph accepted the params, so parsing fills the defaults and cannot fail here.
  const params = definition.params.parse(node.params) as P;
  const name = node.label !== undefined && node.label.trim() !== "" ? node.label : node.id;
  return { id: node.id, type: node.type, displayName: nodeDisplayName(node, definition), name, params };
}

/** Kahn's algorithm; ties keep document order so the plan is stable. */
function topologicalOrder(doc: GraphDocument): GraphNode[] {
  const indegree = new Map(doc.nodes.map((node) => [node.id, 0]));
  const successors = new Map<string, string[]>(doc.nodes.map((node) => [node.id, []]));
  for (const edge of doc.edges) {
    if (!indegree.has(edge.source) || !indegree.has(edge.target)) continue;
    indegree.set(edge.target, (indegree.get(edge.target) ?? 0) + 1);
    successors.get(edge.source)?.push(edge.target);
  }
  const byId = new Map(doc.nodes.map((node) => [node.id, node]));
  const ready = doc.nodes.filter((node) => indegree.get(node.id) === 0).map((node) => node.id);
  const ordered: GraphNode[] = [];
  while (ready.length > 0) {
    const id = ready.shift()!;
    ordered.push(byId.get(id)!);
    for (const next of successors.get(id) ?? []) {
      const left = (indegree.get(next) ?? 0) - 1;
      indegree.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  if (ordered.length !== doc.nodes.length) {
    // validateGraph reports loops; reaching here means the caller skipped validation.
    throw new PlanRefusedError("The workflow has a loop; remove one of its connections.");
  }
  return ordered;
}

export interface PlanOptions {
  /** Skip validateGraph (the caller has just validated the same document). */
  readonly skipValidation?: boolean;
}

/**
 * Validates and plans a graph document. Throws WorkflowInvalidError (with every blocking issue) or
 * PlanRefusedError (one message naming the node and what to change).
 */
export function planRun(doc: GraphDocument, options: PlanOptions = {}): RunPlan {
  if (!options.skipValidation) {
    // A non-differentiable reward under backprop is the planner's own refusal (below), with its own message.
    const blocking = issuesBlockingRun(validateGraph(doc)).filter(
      (issue) => issue.code !== "non-differentiable-reward",
    );
    if (blocking.length > 0) throw new WorkflowInvalidError(blocking);
  }
  const ordered = topologicalOrder(doc);
  const byId = new Map(doc.nodes.map((node) => [node.id, node]));
  const sourcesOf = (nodeId: string, port: string): GraphNode[] =>
    doc.edges
      .filter((edge) => edge.target === nodeId && edge.targetPort === port)
      .map((edge) => byId.get(edge.source))
      .filter((node): node is GraphNode => node !== undefined);
  const oneSource = (node: PlannedNode, port: string, type: string, what: string): GraphNode => {
    const source = sourcesOf(node.id, port).find((candidate) => candidate.type === type);
    if (!source) throw new PlanRefusedError(`${node.displayName} needs ${what} connected to it.`, node.id);
    return source;
  };

  const optimizers = ordered.filter((node) => node.type === "optimizer");
  if (optimizers.length === 0) {
    throw new PlanRefusedError(
      "There is no Optimizer, so there is nothing to optimize. Add an Optimizer and connect a Reward to it.",
    );
  }
  if (optimizers.length > 1) {
    const names = optimizers.map((node) => parsedNode(node).displayName).join(" and ");
    throw new PlanRefusedError(
      `A run optimizes for one Optimizer, but this workflow has ${optimizers.length} (${names}). Remove all but one, or save each as its own workflow.`,
      optimizers[1]!.id,
    );
  }
  const optimizer = parsedNode<OptimizerParams>(optimizers[0]!);
  const estimator = optimizer.params.estimator;
  // What the estimator estimates is declared with it (nodes/kinds/gradient-estimators.ts).
  const estimates = getGradientEstimator(estimator)?.estimates ?? "none";

  const rewardSources = sourcesOf(optimizer.id, "rewards").filter((node) => node.type === "reward");
  if (rewardSources.length === 0) {
    throw new PlanRefusedError(
      `${optimizer.displayName} has no Reward to maximize; connect one.`,
      optimizer.id,
    );
  }
  const guardNodes = sourcesOf(optimizer.id, "guards")
    .filter((node) => node.type === "guard")
    .map((node) => parsedNode<GuardParams>(node));

  // The Sampler every reward judges: one chain is differentiated, so all rewards must share it.
  const rewardImageSampler = (reward: PlannedNode): GraphNode =>
    oneSource(reward, "image", "sampler", "a Sampler's image");
  const firstReward = parsedNode<RewardParams>(rewardSources[0]!);
  const samplerNodeRaw = rewardImageSampler(firstReward);
  const sampler = parsedNode<SamplerParams>(samplerNodeRaw);
  const prompt = parsedNode<PromptParams>(oneSource(sampler, "conditioning", "prompt", "a Prompt"));
  const noise = parsedNode<NoiseParams>(oneSource(sampler, "noise", "noise", "a Noise node"));

  const planReward = (node: GraphNode, weight: number, inObjective: boolean): PlannedReward => {
    const base = parsedNode<RewardParams>(node);
    const source = rewardImageSampler(base);
    if (source.id !== sampler.id) {
      throw new PlanRefusedError(
        `${base.displayName} scores the image of ${parsedNode(source).displayName}, but the other rewards score ${sampler.displayName}. One run optimizes one Sampler's noise: connect all Rewards to the same Sampler.`,
        base.id,
      );
    }
    const kind = base.params.kind;
    const declaration = getRewardKind(kind);
    if (!declaration) {
      throw new PlanRefusedError(
        `${base.displayName} has the reward kind “${kind}”, which this server does not know. Pick another reward.`,
        base.id,
      );
    }
    const differentiable = declaration.gradient !== "none";
    if (!differentiable && estimates === "none") {
      throw new PlanRefusedError(
        `${base.displayName} is not differentiable; set the Optimizer's gradient estimator to Hybrid or Zeroth-order.`,
        base.id,
      );
    }
    let gradient: GradientRule;
    if (estimates === "everything" || !differentiable) {
      gradient = { kind: "estimator", estimator: estimator as SamplingEstimator };
    } else {
      // Declared per kind (nodes/kinds/rewards/); "none" was handled above.
      gradient = { kind: declaration.gradient as Exclude<RewardGradientKind, "none"> };
    }
    const ownPrompt = sourcesOf(base.id, "conditioning").find((candidate) => candidate.type === "prompt");
    const promptText = ownPrompt ? parsedNode<PromptParams>(ownPrompt).params.text : prompt.params.text;
    return { ...base, kind, weight, inObjective, differentiable, gradient, promptText };
  };

  const rewards: PlannedReward[] = [];
  for (const node of rewardSources) {
    if (rewards.some((reward) => reward.id === node.id)) continue;
    const params = parsedNode<RewardParams>(node).params;
    rewards.push(planReward(node, params.weight, true));
  }
  const guards: PlannedGuard[] = [];
  for (const guard of guardNodes) {
    if (guards.some((planned) => planned.id === guard.id)) continue;
    const declaration = getGuardKind(guard.params.kind);
    if (!declaration) {
      throw new PlanRefusedError(
        `${guard.displayName} has the guard kind “${guard.params.kind}”, which this server does not know. Pick another guard.`,
        guard.id,
      );
    }
    if (declaration.attachTo === "keeper-reward") {
      const keeper = oneSource(guard, "reward", "reward", "a keeper Reward");
      if (!rewards.some((reward) => reward.id === keeper.id)) rewards.push(planReward(keeper, 0, false));
      guards.push({ ...guard, attachTo: "keeper-reward", keeperRewardId: keeper.id });
    } else {
      guards.push({ ...guard, attachTo: declaration.attachTo });
    }
  }

  const optimizeStepNoise = noise.params.optimize === "initial-and-steps" && sampler.params.eta > 0;
  const gradients: Record<string, GradientRule> = {
    [noise.id]: { kind: "variable", tensors: optimizeStepNoise ? "initial-and-steps" : "initial" },
    [sampler.id]:
      estimates === "everything"
        ? { kind: "estimator", estimator: estimator as SamplingEstimator }
        : { kind: "ddim-reverse" },
  };
  for (const reward of rewards) gradients[reward.id] = reward.gradient;
  const onPath = new Set([noise.id, sampler.id, ...rewards.map((reward) => reward.id), optimizer.id]);
  const attached = new Set([prompt.id, ...guards.map((guard) => guard.id)]);
  for (const reward of rewards) {
    for (const source of sourcesOf(reward.id, "conditioning")) attached.add(source.id);
  }
  const order = ordered.map((node) => parsedNode<Record<string, unknown>>(node));
  return {
    document: doc,
    order,
    path: order.filter((node) => onPath.has(node.id)).map((node) => node.id),
    gradients,
    ignored: order.filter((node) => !onPath.has(node.id) && !attached.has(node.id)).map((node) => node.id),
    prompt,
    noise,
    sampler,
    rewards,
    guards,
    optimizer,
    estimator,
    seeds: [noise.params.seed, ...noise.params.batchSeeds],
    optimizeStepNoise,
  };
}

/** One line per node of the path: what pulls its gradient back (the CLI prints it before the run). */
export function describePlan(plan: RunPlan): string[] {
  const byId = new Map(plan.order.map((node) => [node.id, node]));
  return plan.path.map((id) => {
    const node = byId.get(id)!;
    const rule = plan.gradients[id];
    const how =
      rule === undefined
        ? "objective (Σ weighted rewards − guard penalties)"
        : rule.kind === "variable"
          ? `optimized: ${rule.tensors === "initial" ? "x_T" : "x_T and every per-step noise z_t"}`
          : rule.kind === "ddim-reverse"
            ? "reverse DDIM chain (VAE VJP, then one batch-2B CFG UNet VJP per step)"
            : rule.kind === "analytic"
              ? "analytic image gradient"
              : rule.kind === "classifier-vjp"
                ? "classifier VJP"
                : rule.kind === "onnx-vjp"
                  ? "scoring-model VJP (after the preprocessing adjoint)"
                  : `${rule.estimator} estimator`;
    return `${node.displayName}: ${how}`;
  });
}

/**
 * The keys under which each Guard node's states appear in an iteration record's `guards` (the engine names
 * them by what they measure), so the run view and the CLI can show them on the right node.
 */
export function guardReportKeys(plan: RunPlan): Record<string, string[]> {
  const keys: Record<string, string[]> = {};
  for (const guard of plan.guards) {
    const declaration = getGuardKind(guard.params.kind);
    keys[guard.id] = declaration ? [...declaration.reportKeys(guard.keeperRewardId)] : [guard.params.kind];
  }
  return keys;
}
