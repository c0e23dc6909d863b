/**
 * Store mode (METHOD.md §4): a VJP model split into
 *   (a) forward-with-residuals: the forward inputs → `of` plus the intermediate tensors the backward reads;
 *   (b) backward: residuals + `grad_<of>` (+ the forward inputs it reads) → `grad_<wrt>`,
 * so a caller that keeps (a)'s residuals per call runs (b) instead of recomputing the forward inside the VJP.
 *
 * A post-pass over the built VJP model (`buildVjpIr` with exposeForward), so it follows whatever the builder
 * emits. Each node is classified by what it depends on: the cotangent (backward), neither the forward inputs
 * nor the cotangent (constants and weight-only math: recomputed in whichever part reads them, never stored per
 * call), the forward graph that computes `of` (forward), or the rest — math the VJP rules emit on forward
 * tensors only: integer results (shape chains of un-broadcasting) are computed in (a) and kept, float
 * results (s·(1−s) and the like) in (b) from the residuals. Then cheap view ops (Reshape, Transpose, Slice,
 * Cast, …) whose inputs (b) has anyway move into (b): both x and reshape(x) would otherwise be stored.
 * Small integer residuals (shape vectors of un-broadcasting, hundreds in a UNet) travel packed in one int64
 * tensor (PACKED_INTEGERS): ONNX Runtime's per-output cost made the SD-1.5 UNet's 273 of them about 0.3 s of
 * a 1.15 s forward call at 256 px (0.76 s packed; the plain forward 0.64 s).
 * Both parts reference the forward initializers (and external-data locations) unchanged.
 */
import type { onnx } from "onnx-proto";
import { InvalidVjpRequestError } from "./errors";
import type { TensorInfo } from "./infer";
import type { Model, Node, TensorProto, ValueInfo } from "./ir";
import { DataType, makeTensor } from "./ir";
import { analyzeModel, analyzeModelAt, buildVjpIr, cotangentInputName, type VjpRequest } from "./vjp";

/** Bump when the split's output changes, so cached split models are rebuilt. */
export const SPLIT_VERSION = 5;

export interface Residual {
  /** The name under which (a) returns it and (b) takes it. */
  readonly name: string;
  /** ONNX element type as transported (bool/uint8/int8/int16/uint16 travel as int32). */
  readonly elemType: number;
  /** Rank when known (both models declare the inferred dims, symbolic ones by name). */
  readonly rank: number | null;
}

export interface SplitVjp {
  /** (a): forward inputs → [of, ...residual names]. */
  readonly forward: Model;
  /** (b): forward inputs it reads, residuals, grad_<of> → grad_<wrt>. */
  readonly backward: Model;
  readonly residuals: readonly Residual[];
  /** Forward graph inputs (b) reads directly (callers keep those anyway: x_t, the conditioning). */
  readonly backwardForwardInputs: readonly string[];
}

/** Element types the ONNX session boundary passes as they are (float16 comes back as float32 there). */
const TRANSPORTED = new Set<number>([DataType.FLOAT, DataType.FLOAT16, DataType.INT64, DataType.INT32]);
/** Integer-like types carried losslessly as int32. */
const WIDENED = new Set<number>([
  DataType.BOOL,
  DataType.UINT8,
  DataType.INT8,
  DataType.INT16,
  DataType.UINT16,
]);

/**
 * Ops cheap enough to recompute in (b) when all their inputs are there anyway: data movement only (or an
 * elementwise cast), so storing their output next to their input would double memory for nothing.
 */
const REMATERIALIZED = new Set([
  "Identity",
  "Reshape",
  "Flatten",
  "Squeeze",
  "Unsqueeze",
  "Transpose",
  "Expand",
  "Slice",
  "Split",
  "Concat",
  "Cast",
  "Shape",
  "Size",
]);

/**
 * Ops (b) may recompute in a chain back to tensors it has anyway (second pass): elementwise math, Softmax,
 * and MatMul of two activations (attention scores). The attention probabilities are most of what a UNet
 * would store (SD-1.5 at 64×64 latents: 5.6 of 9 GB per step); recomputing them from the stored Q and K
 * costs one Q·Kᵀ and a softmax per attention layer in the backward.
 */
const RECOMPUTED_CHAIN = new Set([
  ...[...REMATERIALIZED].filter((op) => op !== "Shape" && op !== "Size"),
  "Add",
  "Sub",
  "Mul",
  "Div",
  "Neg",
  "Abs",
  "Sqrt",
  "Reciprocal",
  "Pow",
  "Exp",
  "Log",
  "Erf",
  "Tanh",
  "Sigmoid",
  "Relu",
  "LeakyRelu",
  "Softplus",
  "Clip",
  "Where",
  "Softmax",
  "MatMul",
]);
/** Longest chain recomputed for one residual. */
const MAX_CHAIN = 8;

const WIDENED_SUFFIX = "__residual_i32";

/** The one residual that carries every small integer residual, flattened and concatenated (int64). */
export const PACKED_INTEGERS = "__packed_integer_residuals";
/** Integer residuals of at most this many elements (and a static shape) are packed. */
const PACKED_MAX_ELEMENTS = 1024;
/** Slice with its bounds as inputs (opset 10) packs and unpacks. */
const PACKING_MIN_OPSET = 10;

/** Every name a node reads: its inputs and the outer-scope names its subgraphs (If/Loop bodies) read. */
function reads(node: Node): string[] {
  const names = node.inputs.filter((name) => name !== "");
  for (const a of node.attributes) {
    for (const sub of [a.g, ...(a.graphs ?? [])]) {
      for (const inner of (sub as onnx.IGraphProto | null | undefined)?.node ?? [])
        for (const name of inner.input ?? []) if (name) names.push(name);
    }
  }
  return names;
}

function isIntegerType(elemType: number): boolean {
  return elemType === DataType.INT64 || elemType === DataType.INT32;
}

/**
 * Splits the VJP of `request` over `input` into (a) and (b). Throws InvalidVjpRequestError when a residual
 * has an element type the session boundary cannot carry losslessly (float64), naming it.
 */
export function splitVjpIr(input: Uint8Array | onnx.IModelProto | Model, request: VjpRequest): SplitVjp {
  const vjp = buildVjpIr(input, { ...request, exposeForward: true });
  return splitBuiltVjp(vjp, request.of);
}

/** The split of an already built VJP model (built with exposeForward, so `of` is one of its outputs). */
export function splitBuiltVjp(vjp: Model, of: string): SplitVjp {
  const graph = vjp.graph;
  if (!graph.outputs.some((o) => o.name === of)) {
    throw new InvalidVjpRequestError(`The VJP model does not return '${of}': build it with exposeForward`);
  }
  const cotangent = cotangentInputName(of);
  const { nodes, infos } = analyzeModel(vjp);
  const forwardInputs = graph.inputs.filter((i) => i.name !== cotangent);
  const forwardInputNames = new Set(forwardInputs.map((i) => i.name));
  const initializerNames = new Set(graph.initializers.map((t) => t.name ?? ""));
  const producer = new Map<string, number>();
  nodes.forEach((node, k) => {
    for (const o of node.outputs) if (o) producer.set(o, k);
  });

  // Dependencies: on the forward inputs, on the cotangent.
  const dependsOnInput = new Set<string>(forwardInputNames);
  const dependsOnCotangent = new Set<string>([cotangent]);
  const nodeInput: boolean[] = [];
  const nodeCotangent: boolean[] = [];
  nodes.forEach((node, k) => {
    const names = reads(node);
    nodeInput[k] = names.some((n) => dependsOnInput.has(n));
    nodeCotangent[k] = names.some((n) => dependsOnCotangent.has(n));
    for (const o of node.outputs) {
      if (!o) continue;
      if (nodeInput[k]) dependsOnInput.add(o);
      if (nodeCotangent[k]) dependsOnCotangent.add(o);
    }
  });

  // What computes `of`.
  const required = new Set<number>();
  {
    const needed = new Set<string>([of]);
    for (let k = nodes.length - 1; k >= 0; k--) {
      const node = nodes[k]!;
      if (!node.outputs.some((o) => needed.has(o))) continue;
      required.add(k);
      for (const name of reads(node)) needed.add(name);
    }
  }

  const elemTypeOf = (name: string): number => infos.get(name)?.elemType ?? 0;
  // Which part computes each node: "f" (a), "b" (b), "s" (both, as needed: constants).
  const inForward = new Set<number>();
  const inBackward = new Set<number>();
  const shared = new Set<number>();
  nodes.forEach((node, k) => {
    if (nodeCotangent[k]) inBackward.add(k);
    else if (!nodeInput[k]) shared.add(k);
    else if (required.has(k)) inForward.add(k);
    else if (node.outputs.every((o) => !o || isIntegerType(elemTypeOf(o)))) inForward.add(k);
    else inBackward.add(k);
  });

  // Names (b) can read without storing anything: initializers, forward inputs, the cotangent.
  const freeInBackward = (name: string): boolean =>
    initializerNames.has(name) || forwardInputNames.has(name) || name === cotangent;
  const producedInBackward = (name: string): boolean => {
    const k = producer.get(name);
    return k !== undefined && (inBackward.has(k) || shared.has(k));
  };

  /** Tensors (b) reads that (a) must hand over. */
  const residualSet = (): Set<string> => {
    const needed = new Set<string>();
    for (const k of inBackward) {
      for (const name of reads(nodes[k]!)) {
        if (freeInBackward(name) || producedInBackward(name)) continue;
        needed.add(name);
      }
    }
    return needed;
  };

  /**
   * The (a) nodes that recompute `name` from tensors (b) has (free, its own, stored residuals, integers),
   * or undefined. MatMul only of two activations (both depend on the inputs): one with a weight is a layer.
   */
  const recomputeChain = (name: string, residuals: ReadonlySet<string>): number[] | undefined => {
    const chain: number[] = [];
    const seen = new Set<number>();
    const visit = (tensor: string, root: boolean): boolean => {
      if (!root) {
        if (freeInBackward(tensor) || producedInBackward(tensor) || residuals.has(tensor)) return true;
        if (isIntegerType(elemTypeOf(tensor))) return true;
      }
      const k = producer.get(tensor);
      if (k === undefined || !inForward.has(k)) return false;
      if (seen.has(k)) return true;
      const node = nodes[k]!;
      if (node.domain !== "" || !RECOMPUTED_CHAIN.has(node.opType)) return false;
      if (node.opType === "MatMul" && !node.inputs.every((input) => dependsOnInput.has(input))) return false;
      seen.add(k);
      chain.push(k);
      if (chain.length > MAX_CHAIN) return false;
      return reads(node).every((input) => visit(input, false));
    };
    return visit(name, true) ? chain : undefined;
  };

  // Rematerialize cheap view ops whose inputs are free or stored anyway.
  for (let changed = true; changed; ) {
    changed = false;
    const residuals = residualSet();
    for (const name of residuals) {
      const k = producer.get(name);
      if (k === undefined || !inForward.has(k)) continue;
      const node = nodes[k]!;
      if (node.domain !== "" || !REMATERIALIZED.has(node.opType)) continue;
      const available = reads(node).every(
        (input) =>
          freeInBackward(input) ||
          producedInBackward(input) ||
          residuals.has(input) ||
          isIntegerType(elemTypeOf(input)),
      );
      // Shape/Size of a residual: the residual is stored anyway; of anything else, keep the small result.
      if (!available) continue;
      if ((node.opType === "Shape" || node.opType === "Size") && !residuals.has(node.inputs[0] ?? ""))
        continue;
      inBackward.add(k);
      changed = true;
    }
  }

  // Second pass: recompute a residual in (b) through a short chain of cheap ops (RECOMPUTED_CHAIN) that
  // ends at tensors (b) has anyway — never adding a float residual, so memory only goes down.
  for (let changed = true; changed; ) {
    changed = false;
    const residuals = residualSet();
    for (const name of residuals) {
      const chain = recomputeChain(name, residuals);
      if (!chain) continue;
      for (const k of chain) inBackward.add(k);
      changed = true;
    }
  }

  /** Dead-code elimination over `candidates` from `outputs`, in the original order. */
  const keep = (candidates: (k: number) => boolean, outputs: string[]): Node[] => {
    const live = new Set(outputs);
    const kept: Node[] = [];
    for (let k = nodes.length - 1; k >= 0; k--) {
      const node = nodes[k]!;
      if (!candidates(k) || !node.outputs.some((o) => live.has(o))) continue;
      kept.push(node);
      for (const name of reads(node)) live.add(name);
    }
    return kept.reverse();
  };
  /**
   * A residual's declaration: the inferred shape (symbolic dims by name, as the VJP model's value_info
   * declares them: ONNX Runtime plans buffers faster with sizes it can match), else the rank alone.
   */
  const symbolic = (elemType: number, rank: number | null, name: string): ValueInfo => {
    const original = name.endsWith(WIDENED_SUFFIX) ? name.slice(0, -WIDENED_SUFFIX.length) : name;
    const inferred = infos.get(original)?.shape;
    return {
      name,
      elemType,
      shape:
        inferred && inferred.length === rank
          ? [...inferred]
          : rank === null
            ? null
            : Array.from({ length: rank }, () => null),
    };
  };

  const gradOutputs = graph.outputs.filter((o) => o.name !== of);
  const backwardNodes = keep(
    (k) => inBackward.has(k) || shared.has(k),
    gradOutputs.map((o) => o.name),
  );

  // Residuals and forward inputs from the nodes (b) really keeps, in the order (a) computes them.
  const backwardProduced = new Set(backwardNodes.flatMap((n) => n.outputs));
  const backwardReads = new Set(backwardNodes.flatMap((n) => reads(n)));
  const residualNames = [...backwardReads]
    .filter((name) => !freeInBackward(name) && !backwardProduced.has(name))
    .sort((x, y) => (producer.get(x) ?? 0) - (producer.get(y) ?? 0));
  const residuals: Residual[] = [];
  const widened: string[] = [];
  for (const name of residualNames) {
    const info: TensorInfo | undefined = infos.get(name);
    const elemType = info?.elemType ?? 0;
    const rank = info?.shape ? info.shape.length : null;
    if (TRANSPORTED.has(elemType)) residuals.push({ name, elemType, rank });
    else if (WIDENED.has(elemType)) {
      residuals.push({ name: `${name}${WIDENED_SUFFIX}`, elemType: DataType.INT32, rank });
      widened.push(name);
    } else {
      throw new InvalidVjpRequestError(
        `Cannot keep tensor '${name}' between the forward and backward passes: its element type (${elemType}) ` +
          "cannot be carried losslessly; use recompute mode (DNO_MEMORY_MODE=recompute)",
      );
    }
  }

  const backwardForwardInputs = forwardInputs.map((i) => i.name).filter((name) => backwardReads.has(name));
  const packing = packIntegerResiduals(
    vjp,
    residuals.filter((r) => r.name !== of),
    (name) => infos.get(name)?.shape,
  );

  const ofInfo = graph.outputs.find((o) => o.name === of)!;
  const forwardOutputNames = [of, ...residualNames.filter((name) => name !== of)];
  const forwardNodes = keep((k) => inForward.has(k) || shared.has(k), forwardOutputNames);
  for (const name of widened) {
    forwardNodes.push({
      opType: "Cast",
      domain: "",
      name: `${name}${WIDENED_SUFFIX}_cast`,
      inputs: [name],
      outputs: [`${name}${WIDENED_SUFFIX}`],
      attributes: [{ name: "to", type: 2, i: DataType.INT32 }],
    });
  }
  forwardNodes.push(...packing.packNodes);
  const keptResiduals = residuals.filter((r) => !packing.packed.has(r.name));
  const residualOutputs = keptResiduals
    .filter((r) => r.name !== of)
    .map((r) => symbolic(r.elemType, r.rank, r.name));
  if (packing.residual) residualOutputs.push(packing.valueInfo);
  const finalResiduals = packing.residual ? [...keptResiduals, packing.residual] : keptResiduals;
  const forwardLive = new Set(forwardNodes.flatMap((n) => reads(n)));

  const unwiden: Node[] = widened.map((name) => ({
    opType: "Cast",
    domain: "",
    name: `${name}${WIDENED_SUFFIX}_uncast`,
    inputs: [`${name}${WIDENED_SUFFIX}`],
    outputs: [name],
    attributes: [{ name: "to", type: 2, i: elemTypeOf(name) }],
  }));
  const backwardLive = backwardReads;
  const cotangentInfo = graph.inputs.find((i) => i.name === cotangent)!;

  const forward: Model = {
    ...vjp,
    producerName: `${vjp.producerName}+split-forward`,
    graph: {
      name: `${graph.name}_forward`,
      nodes: forwardNodes,
      inputs: forwardInputs,
      outputs: [ofInfo, ...residualOutputs],
      initializers: [
        ...graph.initializers.filter((t) => forwardLive.has(t.name ?? "")),
        ...packing.packInitializers,
      ],
      valueInfo: graph.valueInfo.filter(
        (v) => forwardLive.has(v.name) && !forwardOutputNames.includes(v.name),
      ),
    },
  };
  const backward: Model = {
    ...vjp,
    producerName: `${vjp.producerName}+split-backward`,
    graph: {
      name: `${graph.name}_backward`,
      nodes: [...packing.unpackNodes, ...unwiden, ...backwardNodes],
      inputs: [
        ...forwardInputs.filter((i) => backwardForwardInputs.includes(i.name)),
        ...keptResiduals.map((r) => (r.name === of ? ofInfo : symbolic(r.elemType, r.rank, r.name))),
        ...(packing.residual ? [packing.valueInfo] : []),
        cotangentInfo,
      ],
      outputs: gradOutputs,
      initializers: [
        ...graph.initializers.filter((t) => backwardLive.has(t.name ?? "")),
        ...packing.unpackInitializers,
      ],
      valueInfo: graph.valueInfo.filter((v) => backwardLive.has(v.name) && !residualNames.includes(v.name)),
    },
  };
  return { forward, backward, residuals: finalResiduals, backwardForwardInputs };
}

/** The dims of a shape whose every dim is a number, else undefined. */
function staticDims(shape: readonly (number | string | null)[] | null | undefined): number[] | undefined {
  if (!shape) return undefined;
  const dims = shape.filter((d): d is number => typeof d === "number");
  return dims.length === shape.length ? dims : undefined;
}

interface IntegerPacking {
  /** Residual names that travel inside PACKED_INTEGERS. */
  readonly packed: ReadonlySet<string>;
  /** PACKED_INTEGERS as a residual, when anything is packed. */
  readonly residual?: Residual;
  readonly valueInfo: ValueInfo;
  readonly packNodes: Node[];
  readonly packInitializers: TensorProto[];
  readonly unpackNodes: Node[];
  readonly unpackInitializers: TensorProto[];
}

/**
 * Packs the small integer residuals (int64/int32 with a static shape of at most PACKED_MAX_ELEMENTS) into one
 * int64 vector: (a) flattens, casts and concatenates them; (b) slices each back out and restores its shape
 * and type under its own name. Nothing is packed for fewer than two, or below opset 10.
 */
function packIntegerResiduals(
  vjp: Model,
  candidates: readonly Residual[],
  shapeOf: (name: string) => readonly (number | string | null)[] | null | undefined,
): IntegerPacking {
  const opset = vjp.opsetImports.find((o) => o.domain === "" || o.domain === "ai.onnx")?.version ?? 0;
  const chosen: { name: string; elemType: number; dims: number[]; offset: number; count: number }[] = [];
  let total = 0;
  for (const r of candidates) {
    if (!isIntegerType(r.elemType) || r.name.endsWith(WIDENED_SUFFIX)) continue;
    const dims = staticDims(shapeOf(r.name));
    if (!dims) continue;
    const count = dims.reduce((a, b) => a * b, 1);
    if (count > PACKED_MAX_ELEMENTS) continue;
    chosen.push({ name: r.name, elemType: r.elemType, dims, offset: total, count });
    total += count;
  }
  const valueInfo: ValueInfo = { name: PACKED_INTEGERS, elemType: DataType.INT64, shape: [total] };
  const none = {
    packed: new Set<string>(),
    valueInfo,
    packNodes: [],
    packInitializers: [],
    unpackNodes: [],
    unpackInitializers: [],
  };
  if (chosen.length < 2 || opset < PACKING_MIN_OPSET) return none;

  const prefix = PACKED_INTEGERS;
  const int64 = (name: string, values: number[]): TensorProto =>
    makeTensor(name, DataType.INT64, [values.length], values);
  const node = (opType: string, name: string, inputs: string[], outputs: string[], to?: number): Node => ({
    opType,
    domain: "",
    name,
    inputs,
    outputs,
    attributes: to === undefined ? [] : [{ name: "to", type: 2, i: to }],
  });
  const flatShape = `${prefix}/flat_shape`;
  const packNodes: Node[] = [];
  const flats: string[] = [];
  for (const [index, r] of chosen.entries()) {
    let source = r.name;
    if (r.elemType !== DataType.INT64) {
      source = `${prefix}/${index}/int64`;
      packNodes.push(node("Cast", `${source}_cast`, [r.name], [source], DataType.INT64));
    }
    const flat = `${prefix}/${index}/flat`;
    packNodes.push(node("Reshape", `${flat}_reshape`, [source, flatShape], [flat]));
    flats.push(flat);
  }
  packNodes.push({
    ...node("Concat", `${prefix}_concat`, flats, [PACKED_INTEGERS]),
    attributes: [{ name: "axis", type: 2, i: 0 }],
  });

  const unpackNodes: Node[] = [];
  const unpackInitializers: TensorProto[] = [int64(`${prefix}/axis0`, [0])];
  for (const [index, r] of chosen.entries()) {
    const base = `${prefix}/${index}`;
    unpackInitializers.push(
      int64(`${base}/starts`, [r.offset]),
      int64(`${base}/ends`, [r.offset + r.count]),
      makeTensor(`${base}/shape`, DataType.INT64, [r.dims.length], r.dims),
    );
    unpackNodes.push(
      node(
        "Slice",
        `${base}_slice`,
        [PACKED_INTEGERS, `${base}/starts`, `${base}/ends`, `${prefix}/axis0`],
        [`${base}/slice`],
      ),
    );
    const shaped = r.elemType === DataType.INT64 ? r.name : `${base}/shaped`;
    unpackNodes.push(node("Reshape", `${base}_reshape`, [`${base}/slice`, `${base}/shape`], [shaped]));
    if (shaped !== r.name) unpackNodes.push(node("Cast", `${base}_cast`, [shaped], [r.name], r.elemType));
  }
  return {
    packed: new Set(chosen.map((r) => r.name)),
    residual: { name: PACKED_INTEGERS, elemType: DataType.INT64, rank: 1 },
    valueInfo,
    packNodes,
    packInitializers: [int64(flatShape, [-1])],
    unpackNodes,
    unpackInitializers,
  };
}

/** Bytes per element as the host keeps a residual (float16 comes back from the session as float32). */
const HOST_BYTES: Record<number, number> = {
  [DataType.FLOAT]: 4,
  [DataType.FLOAT16]: 4,
  [DataType.INT64]: 8,
  [DataType.INT32]: 4,
};

/**
 * Host bytes of the residuals one call of (a) returns for inputs of these dims (from shape inference on
 * (a) with its inputs fixed), or undefined when a residual's size cannot be inferred.
 */
export function residualBytesPerCall(
  forward: Uint8Array | onnx.IModelProto | Model,
  residuals: readonly Residual[],
  inputDims: Readonly<Record<string, readonly number[]>>,
): number | undefined {
  const { infos } = analyzeModelAt(forward, inputDims);
  let total = 0;
  for (const residual of residuals) {
    const shape = infos.get(residual.name)?.shape;
    if (!shape || shape.some((d) => typeof d !== "number")) return undefined;
    total += (shape as number[]).reduce((a, b) => a * b, 1) * (HOST_BYTES[residual.elemType] ?? 8);
  }
  return total;
}
