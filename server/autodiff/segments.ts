/**
 * Checkpointed backward for a model run once per iteration whose VJP would hold too much at once (the VAE
 * decoder at 512 px: its VJP keeps about 10 GB of the forward's intermediates; METHOD.md §4 "Memory").
 * The model is cut into K consecutive segments at tensors where the input's computation narrows to one
 * float tensor (a VAE decoder's residual-block boundaries). Then
 *   forward: run segments 1 … K−1, keeping each cut (one tensor each, plus the small integer tensors alive there);
 *   backward: the VJP of segment K from the model's cotangent, then K−1, … 1, each from the gradient of its cut;
 * so a VJP call holds one segment's intermediates, at the cost of running segments 1 … K−1 forward once more.
 * The gradient is the same as the whole model's VJP (the chain rule over a composition).
 *
 * Cuts keep each segment's intermediates (shape inference at the call's input dims) within a bound. Nodes that do not depend on the input (constants, shape arithmetic on weights) are copied into
 * every segment that reads them. A model with external-data weights, or with inputs other than the one
 * differentiated, is not segmented (one segment).
 */
import { InvalidVjpRequestError } from "./errors";
import type { Model, Node, ValueInfo } from "./ir";
import { bytesPerElement, DataType, isExternalData, isFloatType } from "./ir";
import { analyzeModel, analyzeModelAt } from "./vjp";

/** Bump when the segments' form changes, so cached segment files are rebuilt. */
export const SEGMENTS_VERSION = 1;

export interface ModelSegment {
  readonly model: Model;
  /** The differentiated input (the model's input for the first segment, the previous cut otherwise). */
  readonly input: string;
  /** Other inputs: integer tensors computed by earlier segments and alive across the cuts (passed as they are). */
  readonly passed: readonly string[];
  /** The float output the next segment continues from (the model's output for the last segment). */
  readonly output: string;
}

export interface SegmentPlan {
  readonly segments: readonly ModelSegment[];
  /** Bytes of each segment's intermediates at the dims the cuts were chosen for (empty when whole). */
  readonly bytes: readonly number[];
  /** Bytes of the cut tensors at those dims (what the backward keeps from its forward of the segments). */
  readonly cutBytes: number;
}

function elementBytes(elemType: number, float16Bytes: number): number {
  return elemType === DataType.FLOAT16 ? float16Bytes : (bytesPerElement(elemType) ?? 4);
}

/**
 * Cuts `model` (input `input` → output `output`) into the fewest segments whose intermediates at `inputDims` stay
 * within `maxBytes` each, as far as its cut points allow (a stretch without one stays whole). One segment (the
 * model itself) when it fits, or cannot be segmented.
 */
export function segmentModel(
  model: Model,
  request: {
    readonly input: string;
    readonly output: string;
    readonly inputDims: readonly number[];
    /** Bytes of intermediates a segment should stay within (at inputDims). */
    readonly maxBytes: number;
    /**
     * Bytes a float16 tensor takes where the model runs: 4 (the default) on the CPU, whose kernels compute
     * float16 graphs in float32 (server/onnx/memory-estimate.ts), 2 on a GPU.
     */
    readonly float16Bytes?: number;
  },
): SegmentPlan {
  const { input, output } = request;
  const graph = model.graph;
  if (!graph.inputs.some((i) => i.name === input))
    throw new InvalidVjpRequestError(`The model has no input "${input}" to segment from.`);
  if (!graph.outputs.some((o) => o.name === output))
    throw new InvalidVjpRequestError(`The model has no output "${output}" to segment to.`);
  const whole = (): SegmentPlan => ({
    segments: [{ model, input, passed: [], output }],
    bytes: [],
    cutBytes: 0,
  });
  const initializerNames = new Set(graph.initializers.map((t) => t.name ?? ""));
  const otherInputs = graph.inputs.filter((i) => i.name !== input && !initializerNames.has(i.name));
  if (
    !(request.maxBytes > 0) ||
    otherInputs.length > 0 ||
    graph.outputs.length !== 1 ||
    graph.initializers.some(isExternalData)
  )
    return whole();

  const float16Bytes = request.float16Bytes ?? 4;
  const sized = analyzeModelAt(model, { [input]: request.inputDims });
  // Declared (symbolic) shapes for the segments' inputs and outputs: a segment serves every input size.
  const symbolic = analyzeModel(model).infos;
  const nodes = sized.nodes;
  const dynamic = new Set<string>([input]);
  const isDynamic = (node: Node) => node.inputs.some((name) => dynamic.has(name));
  const dynamicNodes: Node[] = [];
  const producer = new Map<string, Node>();
  for (const node of nodes) {
    for (const o of node.outputs) producer.set(o, node);
    if (isDynamic(node)) {
      for (const o of node.outputs) if (o) dynamic.add(o);
      dynamicNodes.push(node);
    }
  }
  // Last dynamic node (index) reading each dynamic tensor; the output is read "after the end".
  const lastUse = new Map<string, number>();
  dynamicNodes.forEach((node, index) => {
    for (const name of node.inputs) if (dynamic.has(name)) lastUse.set(name, index);
  });
  lastUse.set(output, dynamicNodes.length);
  const bytesOf = (node: Node): number => {
    let total = 0;
    for (const o of node.outputs) {
      const info = sized.infos.get(o);
      const shape = info?.shape;
      if (!info || !shape || shape.some((d) => typeof d !== "number")) continue;
      total += (shape as number[]).reduce((a, b) => a * b, 1) * elementBytes(info.elemType, float16Bytes);
    }
    return total;
  };

  // Walk the dynamic nodes keeping the set of tensors alive after each; a cut after node p is possible where
  // exactly one float tensor (other than the output) is alive, with only integer tensors beside it.
  const alive = new Set<string>([input]);
  const candidates: { after: number; tensor: string; passed: string[]; prefixBytes: number }[] = [];
  let prefixBytes = 0;
  dynamicNodes.forEach((node, index) => {
    prefixBytes += bytesOf(node);
    for (const o of node.outputs) if (o && lastUse.has(o)) alive.add(o);
    for (const name of [...alive]) if ((lastUse.get(name) ?? -1) <= index) alive.delete(name);
    const floats = [...alive].filter((name) => isFloatType(sized.infos.get(name)?.elemType));
    const others = [...alive].filter((name) => !floats.includes(name));
    const integersOnly = others.every((name) => {
      const type = sized.infos.get(name)?.elemType;
      return type === DataType.INT64 || type === DataType.INT32;
    });
    if (floats.length === 1 && floats[0] !== output && integersOnly && index < dynamicNodes.length - 1)
      candidates.push({ after: index, tensor: floats[0]!, passed: others, prefixBytes });
  });
  // Greedy partition: extend a segment while it stays within maxBytes, cut at the last candidate that fits
  // (the fewest segments for that bound; a stretch with no cut point inside stays one segment).
  const cuts: (typeof candidates)[number][] = [];
  let segmentStart = 0;
  let lastFitting: (typeof candidates)[number] | undefined;
  for (const candidate of candidates) {
    if (candidate.prefixBytes - segmentStart > request.maxBytes && lastFitting) {
      cuts.push(lastFitting);
      segmentStart = lastFitting.prefixBytes;
      lastFitting = undefined;
    }
    const previous = cuts[cuts.length - 1];
    if (previous && candidate.tensor === previous.tensor) continue;
    lastFitting = candidate;
  }
  if (prefixBytes - segmentStart > request.maxBytes && lastFitting) cuts.push(lastFitting);
  if (cuts.length === 0) return whole();

  const infoOf = (name: string): ValueInfo => {
    const info = symbolic.get(name) ?? sized.infos.get(name);
    return { name, elemType: info?.elemType ?? 0, shape: info?.shape ?? null };
  };
  const segments: ModelSegment[] = [];
  const bytes: number[] = [];
  let start = 0;
  let from = input;
  for (const boundary of [...cuts, null]) {
    const end = boundary ? boundary.after + 1 : dynamicNodes.length;
    const own = dynamicNodes.slice(start, end);
    const to = boundary
      ? { tensor: boundary.tensor, passed: boundary.passed }
      : { tensor: output, passed: [] };
    // The static nodes this segment reads (transitively), in graph order.
    const needed = new Set<Node>();
    const visit = (name: string) => {
      const node = producer.get(name);
      if (!node || dynamic.has(name) || needed.has(node)) return;
      needed.add(node);
      for (const i of node.inputs) visit(i);
    };
    for (const node of own) for (const i of node.inputs) visit(i);
    const staticNodes = nodes.filter((node) => needed.has(node));
    const segmentNodes = [...staticNodes, ...own];
    const read = new Set(segmentNodes.flatMap((node) => node.inputs));
    const produced = new Set(segmentNodes.flatMap((node) => node.outputs));
    // Integer tensors of earlier segments it reads, and those it makes that later segments read.
    const passedIn = [...read].filter((name) => dynamic.has(name) && !produced.has(name) && name !== from);
    const passedOut = to.passed.filter((name) => produced.has(name));
    segments.push({
      input: from,
      passed: passedIn,
      output: to.tensor,
      model: {
        ...model,
        graph: {
          ...graph,
          name: `${graph.name || "model"}_segment_${segments.length + 1}`,
          nodes: segmentNodes,
          inputs: [from, ...passedIn].map(infoOf),
          outputs: [to.tensor, ...passedOut].map(infoOf),
          initializers: graph.initializers.filter((t) => read.has(t.name ?? "")),
          valueInfo: graph.valueInfo.filter((v) => produced.has(v.name)),
        },
      },
    });
    bytes.push(own.reduce((sum, node) => sum + bytesOf(node), 0));
    start = end;
    from = to.tensor;
  }
  let cutBytes = 0;
  for (const cut of cuts) {
    const shape = sized.infos.get(cut.tensor)?.shape;
    if (shape?.every((d) => typeof d === "number"))
      cutBytes += (shape as number[]).reduce((a, b) => a * b, 1) * 4;
  }
  return { segments, bytes, cutBytes };
}
