/**
 * Whole-graph validation in one pass: every problem of every node comes back at once, keyed by node and
 * port or param, so the canvas can mark all bad nodes together (ComfyUI's node_errors).
 *
 * Rule: structural corruption (unknown type, invalid params, dangling edge, duplicate ids, type mismatch)
 * blocks saving; incompleteness (missing input, loop, no reward upstream, …) only blocks running, so a
 * half-built workflow can always be saved.
 */
import { describeParams } from "../describe-params";
import { getGradientEstimator } from "../kinds/gradient-estimators";
import { getGuardKind } from "../kinds/registry";
import { getNodeDefinition } from "../registry";
import { type AnyNodeDefinition, PORT_TYPE_LABELS, type PortDeclaration } from "../types";
import type { GraphDocument, GraphEdge, GraphNode } from "./document";
import { describeParamIssue, nodeIssueSentence } from "./format-issues";
import { findPort, nodeDisplayName, nodeShortName, producersPhrase } from "./naming";

export type GraphIssueCode =
  | "duplicate-node-id"
  | "duplicate-edge-id"
  | "unknown-node-type"
  | "param-invalid"
  | "param-incomplete"
  | "dangling-edge"
  | "type-mismatch"
  | "duplicate-connection"
  | "too-many-connections"
  | "missing-input"
  | "keeper-floor-without-reward"
  | "cycle"
  | "optimizer-without-reward"
  | "non-differentiable-reward"
  | "no-optimizer"
  /** A Prompt word the Sampler's model never saw (nodes/graph/prompt-vocabulary.ts; needs the model list). */
  | "prompt-unknown-words"
  /** A Sampler's Image size its model cannot draw (nodes/graph/image-size-issues.ts; needs the model list). */
  | "image-size-unsupported"
  | "input-ignored";

export interface GraphIssue {
  code: GraphIssueCode;
  /** Warnings never block anything; `blocks` then says at which stage they matter. */
  severity: "error" | "warning";
  blocks: "save" | "run";
  nodeId?: string;
  port?: string;
  param?: string;
  edgeId?: string;
  message: string;
}

/** Errors that make a document unfit to store. */
export function issuesBlockingSave(issues: readonly GraphIssue[]): GraphIssue[] {
  return issues.filter((issue) => issue.severity === "error" && issue.blocks === "save");
}

/** Errors that make a workflow unfit to run (every save-blocking error also blocks running). */
export function issuesBlockingRun(issues: readonly GraphIssue[]): GraphIssue[] {
  return issues.filter((issue) => issue.severity === "error");
}

/** The node type whose presence the run needs, and the one that gives the method its objective. */
const OPTIMIZER_TYPE = "optimizer";
const REWARD_TYPE = "reward";
/** A Guard whose kind watches a keeper reward (declared in nodes/kinds/guards/) needs its `reward` input. */
function needsKeeperReward(
  node: GraphNode,
  portName: string,
  params: Readonly<Record<string, unknown>>,
): boolean {
  if (node.type !== "guard" || portName !== "reward" || typeof params.kind !== "string") return false;
  return getGuardKind(params.kind)?.attachTo === "keeper-reward";
}

interface ResolvedEdge {
  edge: GraphEdge;
  sourceNode: GraphNode;
  targetNode: GraphNode;
}

/** Strongly connected components (Tarjan) of size > 1, plus self-loops: every loop in the graph. */
function findLoops(nodeIds: readonly string[], successors: ReadonlyMap<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const loops: string[][] = [];
  let counter = 0;

  // Iterative to survive 2000-node documents without deep recursion.
  for (const root of nodeIds) {
    if (index.has(root)) continue;
    const work: { id: string; next: number }[] = [{ id: root, next: 0 }];
    index.set(root, counter);
    lowLink.set(root, counter);
    counter += 1;
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const next = successors.get(frame.id) ?? [];
      if (frame.next < next.length) {
        const child = next[frame.next]!;
        frame.next += 1;
        if (!index.has(child)) {
          index.set(child, counter);
          lowLink.set(child, counter);
          counter += 1;
          stack.push(child);
          onStack.add(child);
          work.push({ id: child, next: 0 });
        } else if (onStack.has(child)) {
          lowLink.set(frame.id, Math.min(lowLink.get(frame.id)!, index.get(child)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) lowLink.set(parent.id, Math.min(lowLink.get(parent.id)!, lowLink.get(frame.id)!));
      if (lowLink.get(frame.id) === index.get(frame.id)) {
        const component: string[] = [];
        for (;;) {
          const member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
          if (member === frame.id) break;
        }
        const selfLoop = component.length === 1 && (successors.get(frame.id) ?? []).includes(frame.id);
        if (component.length > 1 || selfLoop) loops.push(component.reverse());
      }
    }
  }
  return loops;
}

/** One loop path through a component, for the message: A → B → A. */
function loopPath(component: readonly string[], successors: ReadonlyMap<string, string[]>): string[] {
  const members = new Set(component);
  const start = component[0]!;
  const path = [start];
  const seen = new Set([start]);
  let current = start;
  for (;;) {
    const next = (successors.get(current) ?? []).find(
      (id) => members.has(id) && (id === start || !seen.has(id)),
    );
    if (next === undefined || next === start) break;
    path.push(next);
    seen.add(next);
    current = next;
  }
  path.push(start);
  return path;
}

function isPortRequired(port: PortDeclaration, params: Record<string, unknown>): boolean {
  if (port.required) return true;
  if (!port.requiredWhen) return false;
  const value = params[port.requiredWhen.param];
  return port.requiredWhen.equals.some((allowed) => allowed === value);
}

/** Validates a graph document (already envelope-valid, see parseGraphDocument) against the registry. */
export function validateGraph(doc: GraphDocument): GraphIssue[] {
  const issues: GraphIssue[] = [];
  const nodesById = new Map<string, GraphNode>();
  /** Params with defaults filled in, for nodes whose params are valid. */
  const parsedParams = new Map<string, Record<string, unknown>>();
  const definitionOf = (node: GraphNode): AnyNodeDefinition | undefined => getNodeDefinition(node.type);
  const nameOf = (node: GraphNode): string => nodeDisplayName(node, definitionOf(node));

  // Nodes: ids, types, params.
  for (const node of doc.nodes) {
    if (nodesById.has(node.id)) {
      issues.push({
        code: "duplicate-node-id",
        severity: "error",
        blocks: "save",
        nodeId: node.id,
        message: `Two nodes share the id “${node.id}”. Every node needs its own id; delete or re-create one of them.`,
      });
      continue;
    }
    nodesById.set(node.id, node);
    const definition = definitionOf(node);
    if (!definition) {
      issues.push({
        code: "unknown-node-type",
        severity: "error",
        blocks: "save",
        nodeId: node.id,
        message: `Node “${nodeShortName(node)}” has the type “${node.type}”, which this app does not know. Delete it, or open the workflow in the app version that made it.`,
      });
      continue;
    }
    const parsed = definition.params.safeParse(node.params);
    if (!parsed.success) {
      const fields = describeParams(definition);
      const reported = new Set<string>();
      for (const issue of parsed.error.issues) {
        const param = String(issue.path[0] ?? "");
        const key = `${param}/${issue.path.join(".")}`;
        if (reported.has(key)) continue;
        reported.add(key);
        const field = fields.find((candidate) => candidate.name === param);
        issues.push({
          code: "param-invalid",
          severity: "error",
          blocks: "save",
          nodeId: node.id,
          ...(param !== "" ? { param } : {}),
          message: nodeIssueSentence(node, definition, describeParamIssue(issue, field, node.params)),
        });
      }
      continue;
    }
    const params = parsed.data as Record<string, unknown>;
    parsedParams.set(node.id, params);
    for (const problem of definition.validate?.(params) ?? []) {
      issues.push({
        code: "param-incomplete",
        severity: "error",
        blocks: "run",
        nodeId: node.id,
        param: problem.param,
        message: nodeIssueSentence(node, definition, problem.message),
      });
    }
  }

  // Edges: ends exist, ports exist on the right side, types agree.
  const seenEdgeIds = new Set<string>();
  const resolvedEdges: ResolvedEdge[] = [];
  /** Inputs whose only problem is a wrong connection: not also reported as unconnected. */
  const mismatchedInputs = new Set<string>();
  for (const edge of doc.edges) {
    if (seenEdgeIds.has(edge.id)) {
      issues.push({
        code: "duplicate-edge-id",
        severity: "error",
        blocks: "save",
        edgeId: edge.id,
        message: `Two connections share the id “${edge.id}”. Delete one of them and connect again.`,
      });
      continue;
    }
    seenEdgeIds.add(edge.id);
    const sourceNode = nodesById.get(edge.source);
    const targetNode = nodesById.get(edge.target);
    if (!sourceNode || !targetNode) {
      const missing = !sourceNode ? edge.source : edge.target;
      const existing = sourceNode ?? targetNode;
      issues.push({
        code: "dangling-edge",
        severity: "error",
        blocks: "save",
        edgeId: edge.id,
        ...(existing ? { nodeId: existing.id } : {}),
        message: `A connection ${!sourceNode ? "comes from" : "goes to"} node “${missing}”, which does not exist. Delete that connection.`,
      });
      continue;
    }
    const sourceDefinition = definitionOf(sourceNode);
    const targetDefinition = definitionOf(targetNode);
    if (!sourceDefinition || !targetDefinition) continue; // Already reported as unknown-node-type.
    const sourcePort = findPort(sourceDefinition, "outputs", edge.sourcePort);
    const targetPort = findPort(targetDefinition, "inputs", edge.targetPort);
    if (!sourcePort || !targetPort) {
      const [node, definition, side, port] = !sourcePort
        ? [sourceNode, sourceDefinition, "output", edge.sourcePort]
        : [targetNode, targetDefinition, "input", edge.targetPort];
      const names = (side === "output" ? definition.outputs : definition.inputs).map((p) => `“${p.label}”`);
      issues.push({
        code: "dangling-edge",
        severity: "error",
        blocks: "save",
        edgeId: edge.id,
        nodeId: node.id,
        port,
        message: `${nameOf(node)} has no ${side} “${port}”, yet a connection uses it${names.length > 0 ? ` (its ${side}s: ${names.join(", ")})` : ""}. Delete that connection.`,
      });
      continue;
    }
    if (sourcePort.type !== targetPort.type) {
      mismatchedInputs.add(`${targetNode.id}\u0000${targetPort.name}`);
      issues.push({
        code: "type-mismatch",
        severity: "error",
        blocks: "save",
        edgeId: edge.id,
        nodeId: targetNode.id,
        port: targetPort.name,
        message: `${nameOf(targetNode)}: the input “${targetPort.label}” expects ${PORT_TYPE_LABELS[targetPort.type]}, but receives ${PORT_TYPE_LABELS[sourcePort.type]} from ${nameOf(sourceNode)}. Delete that connection.`,
      });
      continue;
    }
    resolvedEdges.push({ edge, sourceNode, targetNode });
  }

  // Inputs: duplicates, too many, missing.
  const incoming = new Map<string, ResolvedEdge[]>();
  for (const resolved of resolvedEdges) {
    const key = `${resolved.edge.target}\u0000${resolved.edge.targetPort}`;
    const list = incoming.get(key) ?? [];
    list.push(resolved);
    incoming.set(key, list);
  }
  const requireOptimizerReward = new Set<string>();
  for (const node of nodesById.values()) {
    const definition = definitionOf(node);
    if (!definition) continue;
    for (const port of definition.inputs) {
      const connected = incoming.get(`${node.id}\u0000${port.name}`) ?? [];
      const seenSources = new Set<string>();
      let distinct = 0;
      for (const { edge, sourceNode } of connected) {
        const sourceKey = `${edge.source}\u0000${edge.sourcePort}`;
        if (seenSources.has(sourceKey)) {
          issues.push({
            code: "duplicate-connection",
            severity: "error",
            blocks: "run",
            nodeId: node.id,
            port: port.name,
            edgeId: edge.id,
            message: `${nameOf(node)}: ${nameOf(sourceNode)} is connected twice to the input “${port.label}”. Delete one of the two connections.`,
          });
          continue;
        }
        seenSources.add(sourceKey);
        distinct += 1;
        if (distinct > 1 && !port.multiple) {
          issues.push({
            code: "too-many-connections",
            severity: "error",
            blocks: "run",
            nodeId: node.id,
            port: port.name,
            edgeId: edge.id,
            message: `${nameOf(node)}: the input “${port.label}” takes one connection, but has several. Keep one and delete the others.`,
          });
        }
      }
      const params = parsedParams.get(node.id) ?? node.params;
      if (connected.length > 0 && port.requiredWhen && !isPortRequired(port, params)) {
        issues.push({
          code: "input-ignored",
          severity: "warning",
          blocks: "run",
          nodeId: node.id,
          port: port.name,
          message: `${nameOf(node)}: the input “${port.label}” is connected but not used with this setting${usedOnlyText(definition, port)}.`,
        });
      }
      if (connected.length > 0 || !isPortRequired(port, params)) continue;
      if (mismatchedInputs.has(`${node.id}\u0000${port.name}`)) continue;
      if (node.type === OPTIMIZER_TYPE && port.type === "reward") {
        requireOptimizerReward.add(node.id); // Reported below with a message that says what to add.
        continue;
      }
      const keeperFloor = needsKeeperReward(node, port.name, params);
      const reason = port.required ? "" : conditionText(definition, port, params);
      issues.push({
        code: keeperFloor ? "keeper-floor-without-reward" : "missing-input",
        severity: "error",
        blocks: "run",
        nodeId: node.id,
        port: port.name,
        message: keeperFloor
          ? `${nameOf(node)}: a keeper reward floor needs the reward to keep above the floor, but the input “${port.label}” is not connected. Connect a Reward node (for example prompt faithfulness) to it.`
          : `${nameOf(node)}: the input “${port.label}” is not connected${reason}. Connect ${producersPhrase(port.type)} to it.`,
      });
    }
  }

  // Loops.
  const successors = new Map<string, string[]>();
  const predecessors = new Map<string, string[]>();
  for (const { edge } of resolvedEdges) {
    successors.set(edge.source, [...(successors.get(edge.source) ?? []), edge.target]);
    predecessors.set(edge.target, [...(predecessors.get(edge.target) ?? []), edge.source]);
  }
  for (const component of findLoops([...nodesById.keys()], successors)) {
    const path = loopPath(component, successors)
      .map((id) => nodeShortName(nodesById.get(id)!))
      .join(" → ");
    for (const id of component) {
      const node = nodesById.get(id)!;
      issues.push({
        code: "cycle",
        severity: "error",
        blocks: "run",
        nodeId: id,
        message: `${nameOf(node)} is part of a loop (${path}). Connections must flow one way: remove one of them.`,
      });
    }
  }

  // The method's rules around the Optimizer.
  const optimizers = [...nodesById.values()].filter((node) => node.type === OPTIMIZER_TYPE);
  for (const optimizer of optimizers) {
    const upstream = collectUpstream(optimizer.id, predecessors);
    const upstreamNodes = [...upstream].map((id) => nodesById.get(id)!);
    const hasReward = upstreamNodes.some((node) => node.type === REWARD_TYPE);
    if (!hasReward || requireOptimizerReward.has(optimizer.id)) {
      const rewardsPort = getNodeDefinition(OPTIMIZER_TYPE)?.inputs.find((port) => port.type === "reward");
      issues.push({
        code: "optimizer-without-reward",
        severity: "error",
        blocks: "run",
        nodeId: optimizer.id,
        ...(rewardsPort ? { port: rewardsPort.name } : {}),
        message: `${nameOf(optimizer)} has no Reward to maximize. Add a Reward node, connect the Sampler's image to it, and connect the Reward to the Optimizer's “${rewardsPort?.label ?? "Rewards"}” input.`,
      });
    }
    const optimizerParams = parsedParams.get(optimizer.id);
    // An estimator that estimates nothing (backprop) needs a gradient from every node (nodes/kinds/gradient-estimators.ts).
    const estimator = typeof optimizerParams?.estimator === "string" ? optimizerParams.estimator : "";
    if (getGradientEstimator(estimator)?.estimates === "none") {
      for (const node of upstreamNodes) {
        const definition = definitionOf(node);
        const params = parsedParams.get(node.id);
        if (!definition?.differentiable || !params || definition.differentiable(params)) continue;
        issues.push({
          code: "non-differentiable-reward",
          severity: "error",
          blocks: "run",
          nodeId: optimizer.id,
          param: "estimator",
          message: `${nameOf(optimizer)}: ${nameOf(node)} gives no gradient, so the estimator “Backprop” cannot use it. Choose the “Hybrid” (recommended) or “Zeroth-order” estimator.`,
        });
      }
    }
  }
  if (nodesById.size > 0 && optimizers.length === 0) {
    issues.push({
      code: "no-optimizer",
      severity: "warning",
      blocks: "run",
      message:
        "There is no Optimizer: a run will only draw the picture once, without improving it. Add an Optimizer and connect a Reward to it.",
    });
  }
  return issues;
}

function conditionText(
  definition: AnyNodeDefinition,
  port: PortDeclaration,
  params: Record<string, unknown>,
): string {
  if (!port.requiredWhen) return "";
  const field = describeParams(definition).find((candidate) => candidate.name === port.requiredWhen?.param);
  const value = params[port.requiredWhen.param];
  const optionLabel = field?.options?.find((option) => option.value === value)?.label ?? String(value);
  return `, but “${optionLabel}” needs it`;
}

/** ", only by “Keeper reward floor”": the setting values that use a conditionally required input. */
function usedOnlyText(definition: AnyNodeDefinition, port: PortDeclaration): string {
  if (!port.requiredWhen) return "";
  const field = describeParams(definition).find((candidate) => candidate.name === port.requiredWhen?.param);
  const labels = port.requiredWhen.equals.map(
    (value) => `“${field?.options?.find((option) => option.value === value)?.label ?? String(value)}”`,
  );
  return ` (only ${labels.join(" or ")} uses it)`;
}

function collectUpstream(start: string, predecessors: ReadonlyMap<string, string[]>): Set<string> {
  const seen = new Set<string>();
  const queue = [start];
  while (queue.length > 0) {
    const id = queue.pop()!;
    for (const previous of predecessors.get(id) ?? []) {
      if (seen.has(previous) || previous === start) continue;
      seen.add(previous);
      queue.push(previous);
    }
  }
  return seen;
}
