/**
 * buildVjpModel: forward ONNX model → vector–Jacobian-product model.
 *
 * The VJP model takes the forward inputs plus the cotangent of `of` (input `grad_<of>`) and
 * returns the cotangent of each `wrt` input (outputs `grad_<wrt>`). It contains the forward graph
 * itself (checkpointing: the caller stores only inputs) and reuses the forward initializers.
 *
 * One generic reverse walk: restricted to nodes on a path wrt → of, one rule per op
 * (rules/), un-broadcasting and fan-out accumulation done here, once.
 */
import type { onnx } from "onnx-proto";
import { Emitter } from "./emitter";
import { InvalidVjpRequestError, UnsupportedOpError, UnsupportedOpFormError } from "./errors";
import type { TensorInfo } from "./infer";
import { UNKNOWN, initializerInfo, inferNode, mergeInfo } from "./infer";
import type { Graph, Model, Node, ValueInfo } from "./ir";
import { DataType, defaultOpset, isExternalData, isFloatType } from "./ir";
import { modelToProto, toModel, type ModelProto } from "./proto";
import { RULES } from "./rules";
import { SCATTER_ADD_OPSET, SCATTER_ADD_REFUSAL } from "./rules/index-helpers";
import type { NodeView } from "./rules/types";
import { NON_DIFFERENTIABLE } from "./rules/types";

/** Bump when the emitted graphs change, so cached VJP models are rebuilt. */
export const BUILDER_VERSION = 11;

/** The emitted backward ops (Where, GreaterOrEqual, Range, ScatterElements…) need at least this. */
export const MIN_OPSET = 11;

export interface VjpRequest {
  /** Graph inputs to differentiate with respect to. */
  wrt: string[];
  /** The graph output whose cotangent is fed in. */
  of: string;
  /** Also return the forward value of `of` (under its own name). Default false. */
  exposeForward?: boolean;
}

export function cotangentInputName(of: string): string {
  return `grad_${of}`;
}

export function gradientOutputName(wrt: string): string {
  return `grad_${wrt}`;
}

export interface AnalyzedModel {
  model: Model;
  opset: number;
  nodes: Node[];
  infos: Map<string, TensorInfo>;
}

/** Topologically sorted nodes (ONNX requires it, but exporters occasionally slip). */
function topoSort(graph: Graph): Node[] {
  const available = new Set<string>(["", ...graph.inputs.map((i) => i.name)]);
  for (const t of graph.initializers) available.add(t.name ?? "");
  const sorted: Node[] = [];
  let pending = [...graph.nodes];
  while (pending.length > 0) {
    const next: Node[] = [];
    for (const node of pending) {
      if (node.inputs.every((i) => available.has(i))) {
        sorted.push(node);
        for (const o of node.outputs) available.add(o);
      } else next.push(node);
    }
    if (next.length === pending.length) {
      // Inputs from outer scopes or missing producers: keep the given order for the rest.
      sorted.push(...next);
      break;
    }
    pending = next;
  }
  return sorted;
}

/** Types and shapes of every tensor of the forward graph. */
export function analyzeModel(input: Uint8Array | onnx.IModelProto | Model): AnalyzedModel {
  const model = toModel(input);
  const opset = defaultOpset(model);
  const graph = model.graph;
  const infos = new Map<string, TensorInfo>();
  const declared = new Map<string, TensorInfo>();
  for (const v of [...graph.valueInfo, ...graph.outputs])
    declared.set(v.name, { elemType: v.elemType, shape: v.shape });
  for (const v of graph.inputs) infos.set(v.name, { elemType: v.elemType, shape: v.shape });
  for (const t of graph.initializers) infos.set(t.name ?? "", initializerInfo(t));
  const nodes = topoSort(graph);
  for (const node of nodes) {
    const inferred = inferNode({
      node,
      opset,
      input: (i) => (node.inputs[i] ? infos.get(node.inputs[i]!) : undefined),
    });
    node.outputs.forEach((o, i) => {
      infos.set(o, mergeInfo(inferred[i], declared.get(o)));
    });
  }
  return { model, opset, nodes, infos };
}

/** analyzeModel with some graph inputs fixed to concrete dims (sizes of a call, e.g. for memory estimates). */
export function analyzeModelAt(
  input: Uint8Array | onnx.IModelProto | Model,
  inputDims: Readonly<Record<string, readonly number[]>>,
): AnalyzedModel {
  const model = toModel(input);
  return analyzeModel({
    ...model,
    graph: {
      ...model.graph,
      inputs: model.graph.inputs.map((graphInput) => {
        const dims = inputDims[graphInput.name];
        return dims ? { ...graphInput, shape: [...dims] } : graphInput;
      }),
    },
  });
}

function describeNode(node: Node): string {
  return `${node.opType} node '${node.name || "(unnamed)"}'`;
}

interface PathStep {
  node: Node;
  from: string;
}

export function buildVjpModel(input: Uint8Array | onnx.IModelProto | Model, request: VjpRequest): ModelProto {
  return modelToProto(buildVjpIr(input, request));
}

/**
 * Default-domain ops whose meaning changed between opsets 13 and 16 (RoiAlign-16's default coordinate
 * transformation). Every other op's versions in that range only add types or optional attributes and inputs
 * whose defaults keep the old behaviour (Reshape allowzero, BatchNormalization, Shape start/end, Pow, …),
 * so a graph without them means the same at opset 16.
 */
const CHANGED_BY_OPSET_16 = new Set(["RoiAlign"]);

/** The opset a VJP model may be raised to for scatter-add, or undefined when the model's meaning would change. */
function raisedOpset(model: Model): number | undefined {
  const opset = defaultOpset(model);
  if (opset < 13 || opset >= SCATTER_ADD_OPSET) return undefined;
  const changes = model.graph.nodes.some(
    (node) => (node.domain === "" || node.domain === "ai.onnx") && CHANGED_BY_OPSET_16.has(node.opType),
  );
  return changes ? undefined : SCATTER_ADD_OPSET;
}

/**
 * The VJP model's IR. Gradients of index lookups with repeated positions (Gather, GatherElements, GatherND,
 * Tile, overlapping MaxPool) add contributions with ScatterElements reduction="add", which needs opset 16: a
 * model exported at opset 13–15 (SD exports are opset 14) gets a VJP model that declares opset 16 — its
 * forward nodes mean the same there (`CHANGED_BY_OPSET_16`) — instead of a refusal.
 */
export function buildVjpIr(input: Uint8Array | onnx.IModelProto | Model, request: VjpRequest): Model {
  const model = toModel(input);
  try {
    return buildVjpIrAtOpset(model, request, undefined);
  } catch (error) {
    const raised = raisedOpset(model);
    if (
      !(error instanceof UnsupportedOpFormError) ||
      !error.message.endsWith(SCATTER_ADD_REFUSAL) ||
      !raised
    ) {
      throw error;
    }
    return buildVjpIrAtOpset(model, request, raised);
  }
}

function buildVjpIrAtOpset(model: Model, request: VjpRequest, raised: number | undefined): Model {
  const analyzed = analyzeModel(model);
  const { nodes, infos } = analyzed;
  const opset = raised ?? analyzed.opset;
  const graph = model.graph;
  const inputNames = new Set(graph.inputs.map((i) => i.name));
  const initializerNames = new Set(graph.initializers.map((t) => t.name ?? ""));
  const inlineInitializers = new Set(
    graph.initializers.filter((t) => !isExternalData(t)).map((t) => t.name ?? ""),
  );
  const outputNames = new Set(graph.outputs.map((o) => o.name));
  const { wrt, of } = request;

  if (opset < MIN_OPSET) {
    throw new InvalidVjpRequestError(
      `The model's default opset is ${opset}; VJP models need opset >= ${MIN_OPSET} (re-export the model at opset 13 or later)`,
    );
  }
  if (wrt.length === 0) throw new InvalidVjpRequestError("wrt is empty: name at least one graph input");
  for (const name of wrt) {
    if (!inputNames.has(name) || initializerNames.has(name)) {
      throw new InvalidVjpRequestError(
        `wrt '${name}' is not a graph input of the model (inputs: ${[...inputNames].join(", ")})`,
      );
    }
    if (!isFloatType(infos.get(name)?.elemType) && infos.get(name)?.elemType) {
      throw new InvalidVjpRequestError(`wrt '${name}' is not a floating-point tensor; it has no gradient`);
    }
  }
  if (new Set(wrt).size !== wrt.length)
    throw new InvalidVjpRequestError(`wrt lists an input twice: ${wrt.join(", ")}`);
  if (!outputNames.has(of)) {
    throw new InvalidVjpRequestError(
      `of '${of}' is not a graph output of the model (outputs: ${[...outputNames].join(", ")})`,
    );
  }

  // 1. Forward reach from wrt, through differentiable slots of float tensors.
  const reached = new Map<string, PathStep | null>();
  for (const name of wrt) reached.set(name, null);
  const isFloatish = (name: string): boolean => {
    const t = infos.get(name)?.elemType ?? 0;
    return t === 0 || isFloatType(t);
  };
  const touched = new Set<Node>();
  for (const node of nodes) {
    if (NON_DIFFERENTIABLE.has(node.opType) && node.domain === "") continue;
    const rule = node.domain === "" ? RULES[node.opType] : undefined;
    const slots = rule ? rule.differentiable : node.inputs.map((_, i) => i);
    const via = slots.map((s) => node.inputs[s] ?? "").find((name) => name !== "" && reached.has(name));
    if (via === undefined) continue;
    touched.add(node);
    for (const o of node.outputs)
      if (o !== "" && isFloatish(o) && !reached.has(o)) reached.set(o, { node, from: via });
  }

  // 2. Backward reach from `of`: the active nodes lie on a path wrt → of.
  const needed = new Set<string>([of]);
  const active: Node[] = [];
  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k]!;
    if (!touched.has(node) || !node.outputs.some((o) => needed.has(o))) continue;
    active.push(node);
    const rule = node.domain === "" ? RULES[node.opType] : undefined;
    const slots = rule ? rule.differentiable : node.inputs.map((_, i) => i);
    for (const s of slots) {
      const name = node.inputs[s];
      if (name && reached.has(name)) needed.add(name);
    }
  }

  // 3. Every active op needs a rule; report all of them before emitting anything.
  const pathTo = (name: string): string[] => {
    const steps: string[] = [];
    let current: string | undefined = name;
    const seen = new Set<string>();
    while (current !== undefined && !seen.has(current)) {
      seen.add(current);
      const step = reached.get(current);
      if (!step) {
        steps.push(`input '${current}'`);
        break;
      }
      steps.push(describeNode(step.node));
      current = step.from;
    }
    return steps.reverse();
  };
  const unsupported = active.filter((n) => n.domain !== "" || !RULES[n.opType]);
  if (unsupported.length > 0) {
    const first = unsupported[unsupported.length - 1]!;
    const via = first.inputs.find((i) => reached.has(i)) ?? "";
    throw new UnsupportedOpError(
      first.domain ? `${first.domain}.${first.opType}` : first.opType,
      first.name,
      [...pathTo(via), describeNode(first)],
      unsupported.map((n) => `${n.opType} '${n.name}'`),
    );
  }

  // 4. Reverse walk.
  const taken = new Set<string>();
  for (const n of nodes) for (const name of [...n.inputs, ...n.outputs]) taken.add(name);
  for (const name of [...inputNames, ...initializerNames, ...outputNames]) taken.add(name);
  const cotangentName = cotangentInputName(of);
  const gradNames = wrt.map(gradientOutputName);
  for (const name of [cotangentName, ...gradNames]) {
    if (taken.has(name)) {
      throw new InvalidVjpRequestError(
        `The VJP model's tensor name '${name}' already exists in the forward graph`,
      );
    }
    taken.add(name);
  }
  const g = new Emitter(opset, infos, taken);
  g.registerForward(nodes);
  infos.set(cotangentName, infos.get(of) ?? UNKNOWN);

  const readers = new Map<string, Node[]>();
  for (const node of nodes) {
    for (const input of new Set(node.inputs)) {
      if (!input) continue;
      const list = readers.get(input);
      if (list) list.push(node);
      else readers.set(input, [node]);
    }
  }
  // Outputs of the nodes walked so far: their cotangents are complete (every reader came before).
  const walked = new Set<string>();

  const contributions = new Map<string, string[]>([[of, [cotangentName]]]);
  const accumulate = (name: string): string | null => {
    const parts = contributions.get(name);
    if (!parts || parts.length === 0) return null;
    if (parts.length === 1) return parts[0]!;
    // A chain of Adds, not one Sum: ONNX Runtime's WebGPU provider has no Sum kernel, so each Sum ran on the
    // CPU with copies to and from the device around it (same left-to-right order, same numbers).
    let sum = parts[0]!;
    for (const part of parts.slice(1)) {
      sum = g.op1("Add", [sum, part]);
      g.setInfo(sum, infos.get(name) ?? UNKNOWN);
    }
    contributions.set(name, [sum]);
    return sum;
  };

  const constantOf = (name: string): number[] | undefined => {
    const info = g.info(name);
    if (info.value?.every((v) => typeof v === "number")) return info.value as number[];
    return undefined;
  };

  for (const node of active) {
    const dy = node.outputs.map((o) => (o && needed.has(o) ? accumulate(o) : null));
    if (dy.every((d) => d === null)) continue;
    const rule = RULES[node.opType]!;
    const view: NodeView = {
      node,
      opset,
      input: (i) => node.inputs[i] ?? "",
      output: (i) => node.outputs[i] ?? "",
      needsGrad: (i) =>
        rule.differentiable.includes(i) &&
        needed.has(node.inputs[i] ?? "") &&
        reached.has(node.inputs[i] ?? ""),
      constInts: (i) => {
        const v = constantOf(node.inputs[i] ?? "");
        return v?.every((x) => Number.isInteger(x)) ? v : undefined;
      },
      constValues: (i) => constantOf(node.inputs[i] ?? ""),
      inlineInitializer: (i) => inlineInitializers.has(node.inputs[i] ?? ""),
      readers: (name) => (outputNames.has(name) ? null : (readers.get(name) ?? [])),
      cotangent: (name) => (walked.has(name) ? accumulate(name) : null),
    };
    g.context = `${node.opType}:${node.name || "node"}/`;
    const grads = rule.backward(g, view, dy);
    for (const output of node.outputs) if (output) walked.add(output);
    g.context = `unbroadcast:${node.name || node.opType}/`;
    for (const slot of rule.differentiable) {
      const name = node.inputs[slot];
      let grad = grads[slot];
      if (!name || !grad || !view.needsGrad(slot)) continue;
      const reduces =
        rule.broadcasting === true || (Array.isArray(rule.broadcasting) && rule.broadcasting.includes(slot));
      if (reduces && rule.elementwise) {
        // The cotangent has the output's shape; emitted ops may have lost symbolic dims.
        const known = mergeInfo(g.info(grad), g.info(node.outputs[0] ?? ""));
        g.setInfo(grad, { ...known, elemType: g.info(grad).elemType || known.elemType });
      }
      if (reduces) grad = unbroadcast(g, grad, name);
      const list = contributions.get(name) ?? [];
      list.push(grad);
      contributions.set(name, list);
    }
  }

  g.context = "";
  const gradOutputs: ValueInfo[] = [];
  wrt.forEach((name, i) => {
    const grad = accumulate(name) ?? g.zerosLike(name);
    g.op("Identity", [grad], [], [gradNames[i]!]);
    const info = infos.get(name) ?? UNKNOWN;
    gradOutputs.push({ name: gradNames[i]!, elemType: info.elemType, shape: info.shape });
  });

  // 5. Assemble: forward nodes still needed + backward nodes, shared initializers.
  const outputs: ValueInfo[] = [...gradOutputs];
  if (request.exposeForward) outputs.push(graph.outputs.find((o) => o.name === of)!);
  const allNodes = [...nodes, ...g.nodes];
  const live = new Set(outputs.map((o) => o.name));
  const kept: Node[] = [];
  for (let k = allNodes.length - 1; k >= 0; k--) {
    const node = allNodes[k]!;
    if (!node.outputs.some((o) => live.has(o))) continue;
    kept.push(node);
    for (const i of node.inputs) if (i) live.add(i);
    // Subgraph attributes (If/Loop bodies) read outer-scope names: keep those alive too.
    for (const a of node.attributes) {
      for (const sub of [a.g, ...(a.graphs ?? [])]) {
        for (const inner of sub?.node ?? []) for (const i of inner.input ?? []) live.add(i);
      }
    }
  }
  kept.reverse();
  const ofInfo = graph.outputs.find((o) => o.name === of)!;
  // Declare every tensor whose shape the builder knows in full (numbers or named dims). ONNX Runtime's
  // allocation planner reuses a freed buffer only for a tensor of the same declared shape and scans its
  // whole free list for every new tensor; tensors it cannot size pile up in that list, which made
  // creating a session for a 10k-node UNet VJP take ~25 s of CPU (quadratic), ~5 s with these.
  const declared = new Set<string>([
    ...graph.valueInfo.map((v) => v.name),
    ...graph.inputs.map((v) => v.name),
    ...outputs.map((v) => v.name),
    ...initializerNames,
  ]);
  const valueInfo = graph.valueInfo.filter((v) => live.has(v.name));
  for (const node of kept) {
    if (node.opType === "Constant") continue;
    for (const name of node.outputs) {
      const info = infos.get(name);
      if (!name || declared.has(name) || !info?.elemType || !info.shape?.every((d) => d !== null)) continue;
      declared.add(name);
      valueInfo.push({ name, elemType: info.elemType, shape: info.shape });
    }
  }
  const cotangentInput: ValueInfo = { name: cotangentName, elemType: ofInfo.elemType, shape: ofInfo.shape };
  return {
    ...model,
    // A raised opset needs IR version 8 (the IR of opsets 15–16).
    ...(raised === undefined
      ? {}
      : {
          irVersion: Math.max(model.irVersion, 8),
          opsetImports: model.opsetImports.map((entry) =>
            entry.domain === "" || entry.domain === "ai.onnx" ? { ...entry, version: raised } : entry,
          ),
        }),
    producerName: `${model.producerName || "model"}+dno-studio-vjp`,
    graph: {
      name: `${graph.name}_vjp`,
      nodes: kept,
      inputs: [...graph.inputs, cotangentInput],
      outputs,
      initializers: graph.initializers.filter((t) => live.has(t.name ?? "")),
      valueInfo,
    },
  };
}

/**
 * Reduce a gradient that has the broadcast shape back to the shape of `target`: static axes when
 * the ranks and the broadcast dims are known, otherwise axes computed at run time from Shape ops.
 */
export function unbroadcast(g: Emitter, grad: string, target: string): string {
  const gShape = g.info(grad).shape;
  const tShape = g.info(target).shape;
  if (gShape && tShape && gShape.length >= tShape.length) {
    const lead = gShape.length - tShape.length;
    const inner: number[] = [];
    let ambiguous = false;
    for (let i = lead; i < gShape.length; i++) {
      const t = tShape[i - lead]!;
      const d = gShape[i]!;
      if (t === 1) {
        if (d !== 1) inner.push(i);
      } else if ((t !== null && t === d) || typeof t === "number" || d === 1) {
        // Same dim, or a fixed non-1 size: this axis was not broadcast.
      } else ambiguous = true;
    }
    if (!ambiguous) {
      let out = grad;
      if (inner.length > 0) out = g.reduceSum(out, inner, true);
      if (lead > 0)
        out = g.reduceSum(
          out,
          Array.from({ length: lead }, (_, i) => i),
          false,
        );
      if (out !== grad) g.setInfo(out, { elemType: g.info(grad).elemType, shape: tShape });
      return out;
    }
  }
  // Run time: pad target's shape with leading ones to grad's rank, reduce where it is 1.
  const gradShape = g.shapeOf(grad);
  const targetShape = g.shapeOf(target);
  const rankDiff = g.sub(g.op1("Shape", [gradShape]), g.op1("Shape", [targetShape]));
  const ones = g.op1(
    "ConstantOfShape",
    [rankDiff],
    [{ name: "value", type: 4, t: { name: "one", dataType: DataType.INT64, dims: [1], int64Data: [1] } }],
  );
  const padded = g.op1("Concat", [ones, targetShape], [{ name: "axis", type: 2, i: 0 }]);
  const isOne = g.op1("Equal", [padded, g.ints([1])]);
  const axes = g.reshape(g.op1("NonZero", [isOne]), [-1]);
  const reduced = g.reduceSumDynamic(grad, axes, true);
  const out = g.reshape(reduced, targetShape);
  g.setInfo(out, { elemType: g.info(grad).elemType, shape: tShape });
  return out;
}
