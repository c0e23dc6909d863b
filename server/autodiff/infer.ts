/**
 * Element-type and (symbolic) shape inference, enough for the VJP builder to know ranks, which
 * axes were broadcast, and static sizes where the model has them. Dims are numbers, symbolic
 * names shared across tensors ("batch"), or null. Small integer tensors (shape arithmetic:
 * Shape → Gather → Unsqueeze → Concat → Reshape) also carry their symbolic values, so that
 * a Reshape fed by such a chain still gets a known output shape.
 * Unknown stays unknown: every consumer has a run-time (Shape-op) fallback.
 */
import type { Dim, Node, TensorProto } from "./ir";
import { DataType, attrInt, attrInts, attrString, attrTensor, tensorDims, tensorValues } from "./ir";

export interface TensorInfo {
  elemType: number;
  shape: Dim[] | null;
  /** Symbolic contents of a small integer tensor (rank 0 or 1), flattened. */
  value?: Dim[];
}

export const UNKNOWN: TensorInfo = { elemType: 0, shape: null };

export interface InferContext {
  node: Node;
  opset: number;
  input(index: number): TensorInfo | undefined;
}

type InferFn = (ctx: InferContext) => TensorInfo[];

export function isStatic(shape: Dim[] | null): shape is number[] {
  return shape?.every((d) => typeof d === "number") === true;
}

/** A symbolic dim named after the arithmetic that produced it (internal to the builder). */
function derivedDim(expression: string): string {
  return `(${expression})`;
}

/** Symbolic dims arithmetic: numbers combine, anything else becomes unknown. */
function dimBinary(a: Dim, b: Dim, op: (x: number, y: number) => number): Dim {
  return typeof a === "number" && typeof b === "number" ? op(a, b) : null;
}

export function broadcastDims(a: Dim, b: Dim): Dim {
  if (a === 1) return b;
  if (b === 1) return a;
  if (a === b) return a;
  if (typeof a === "number" && a !== 1) return a;
  if (typeof b === "number" && b !== 1) return b;
  return null;
}

export function broadcastShapes(shapes: Array<Dim[] | null>): Dim[] | null {
  if (shapes.some((s) => s === null)) return null;
  const known = shapes as Dim[][];
  const rank = Math.max(0, ...known.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let dim: Dim = 1;
    for (const s of known) {
      const j = s.length - rank + i;
      if (j >= 0) dim = broadcastDims(dim, s[j] ?? null);
    }
    out.push(dim);
  }
  return out;
}

function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** Constant integer contents of an input, when fully known. */
export function constInts(info: TensorInfo | undefined): number[] | undefined {
  if (!info?.value) return undefined;
  return info.value.every((v) => typeof v === "number") ? (info.value as number[]) : undefined;
}

function same(ctx: InferContext): TensorInfo[] {
  const x = ctx.input(0) ?? UNKNOWN;
  return [{ elemType: x.elemType, shape: x.shape }];
}

/** Equal of two dims as 1/0 when decidable: a symbolic dim is a size (≥ 0), never a negative number. */
function equalDims(a: Dim, b: Dim): Dim {
  if (typeof a === "number" && typeof b === "number") return a === b ? 1 : 0;
  if (typeof a === "string" && a === b) return 1;
  if (
    (typeof a === "string" && typeof b === "number" && b < 0) ||
    (typeof b === "string" && typeof a === "number" && a < 0)
  )
    return 0;
  return null;
}

function elementwise(elemType?: number): InferFn {
  return (ctx) => {
    const infos = ctx.node.inputs.map((_, i) => ctx.input(i) ?? UNKNOWN);
    const first = ctx.node.opType === "Where" ? infos[1] : infos[0];
    const shape = broadcastShapes(infos.map((i) => i.shape));
    const out: TensorInfo = { elemType: elemType ?? first?.elemType ?? 0, shape };
    // Shape arithmetic on small int vectors (e.g. dims * 2, dims // heads).
    const vals = infos.map((i) => i.value);
    const intTyped = first?.elemType === DataType.INT64 || first?.elemType === DataType.INT32;
    if (!shape || shape.length > 1 || !vals.every((v) => v !== undefined)) return [out];
    const n = Math.max(...(vals as Dim[][]).map((v) => v.length));
    const pick = (v: Dim[], k: number): Dim => (v.length === 1 ? v[0]! : (v[k] ?? null));
    const sameLengths = (vals as Dim[][]).every((v) => v.length === n || v.length === 1);
    if (ctx.node.opType === "Equal" && intTyped && vals.length === 2 && sameLengths) {
      // torch's `expand(sample.shape[0])` exports Where(Equal(shape, -1), 1, shape): a dim is a size
      // (≥ 0), never -1, so the Where keeps the symbol and the expanded batch stays "batch".
      const [a, b] = vals as [Dim[], Dim[]];
      out.value = Array.from({ length: n }, (_, k) => equalDims(pick(a, k), pick(b, k)));
      return [out];
    }
    if (ctx.node.opType === "Where" && intTyped && vals.length === 3 && sameLengths) {
      const [c, x, y] = vals as [Dim[], Dim[], Dim[]];
      out.value = Array.from({ length: n }, (_, k) => {
        const cond = pick(c, k);
        return cond === null || typeof cond === "string" ? null : cond !== 0 ? pick(x, k) : pick(y, k);
      });
      return [out];
    }
    if (intTyped && vals.length === 2) {
      const [a, b] = vals as [Dim[], Dim[]];
      const fns: Record<string, (x: number, y: number) => number> = {
        Add: (x, y) => x + y,
        Sub: (x, y) => x - y,
        Mul: (x, y) => x * y,
        Div: (x, y) => Math.trunc(x / y),
      };
      const fn = fns[ctx.node.opType];
      if (fn && sameLengths) {
        out.value = Array.from({ length: n }, (_, k) => {
          const x = pick(a, k);
          const y = pick(b, k);
          // x * 1 and x + 0 keep a symbolic dim symbolic.
          if (ctx.node.opType === "Mul" && y === 1) return x;
          if (ctx.node.opType === "Mul" && x === 1) return y;
          if ((ctx.node.opType === "Add" || ctx.node.opType === "Sub") && y === 0) return x;
          if (ctx.node.opType === "Div" && y === 1) return x;
          // h·w of two dynamic dims: a derived symbol, the same one Reshape's -1 produces.
          if (ctx.node.opType === "Mul" && typeof x === "string" && typeof y === "string") {
            return derivedDim(`${x}*${y}`);
          }
          return dimBinary(x, y, fn);
        });
      }
    }
    return [out];
  };
}

/** Explicit pads for a conv/pool node, resolving auto_pad when the spatial sizes are known. */
export function resolvePads(
  node: Node,
  inputSpatial: Dim[],
  kernel: number[],
  strides: number[],
  dilations: number[],
): number[] | null {
  const autoPad = attrString(node, "auto_pad", "NOTSET");
  const n = kernel.length;
  if (autoPad === "NOTSET") return attrInts(node, "pads") ?? new Array(2 * n).fill(0);
  if (autoPad === "VALID") return new Array(2 * n).fill(0);
  const pads = new Array(2 * n).fill(0);
  for (let i = 0; i < n; i++) {
    const size = inputSpatial[i];
    if (typeof size !== "number") return null;
    const out = Math.ceil(size / strides[i]!);
    const total = Math.max(0, (out - 1) * strides[i]! + dilations[i]! * (kernel[i]! - 1) + 1 - size);
    const small = Math.floor(total / 2);
    pads[i] = autoPad === "SAME_UPPER" ? small : total - small;
    pads[i + n] = total - pads[i];
  }
  return pads;
}

function convLike(ctx: InferContext): TensorInfo[] {
  const x = ctx.input(0) ?? UNKNOWN;
  const w = ctx.input(1);
  if (!x.shape) return [{ elemType: x.elemType, shape: null }];
  const spatialRank = x.shape.length - 2;
  const kernel =
    attrInts(ctx.node, "kernel_shape") ??
    (w?.shape && isStatic(w.shape.slice(2)) ? (w.shape.slice(2) as number[]) : undefined);
  const isPool = ctx.node.opType !== "Conv";
  if (!kernel) return [{ elemType: x.elemType, shape: x.shape.map(() => null) }];
  const strides = attrInts(ctx.node, "strides") ?? new Array(spatialRank).fill(1);
  const dilations = attrInts(ctx.node, "dilations") ?? new Array(spatialRank).fill(1);
  const pads = resolvePads(ctx.node, x.shape.slice(2), kernel, strides, dilations);
  const ceil = attrInt(ctx.node, "ceil_mode", 0) === 1;
  const outChannels = isPool ? x.shape[1]! : (w?.shape?.[0] ?? null);
  const spatial = x.shape.slice(2).map((d, i) => {
    if (!pads || d === null) return null;
    const offset = pads[i]! + pads[i + spatialRank]! - (dilations[i]! * (kernel[i]! - 1) + 1);
    if (typeof d === "string") {
      // Dynamic size (SD exports make height/width dynamic): "same" convolutions keep the symbol,
      // others get a derived symbol, equal wherever the same arithmetic meets the same input.
      if (strides[i] === 1 && offset === -1) return d;
      return derivedDim(`(${d}${offset >= 0 ? "+" : ""}${offset})/${strides[i]}${ceil ? "c" : ""}+1`);
    }
    const numer = d + offset;
    return (ceil ? Math.ceil(numer / strides[i]!) : Math.floor(numer / strides[i]!)) + 1;
  });
  return [{ elemType: x.elemType, shape: [x.shape[0]!, outChannels, ...spatial] }];
}

function convTranspose(ctx: InferContext): TensorInfo[] {
  const x = ctx.input(0) ?? UNKNOWN;
  const w = ctx.input(1);
  if (!x.shape) return [{ elemType: x.elemType, shape: null }];
  const spatialRank = x.shape.length - 2;
  const group = attrInt(ctx.node, "group", 1);
  const outChannels = typeof w?.shape?.[1] === "number" ? (w.shape[1] as number) * group : null;
  const explicit = attrInts(ctx.node, "output_shape");
  if (explicit)
    return [{ elemType: x.elemType, shape: [x.shape[0]!, outChannels, ...explicit.slice(-spatialRank)] }];
  const kernel =
    attrInts(ctx.node, "kernel_shape") ??
    (w?.shape && isStatic(w.shape.slice(2)) ? (w.shape.slice(2) as number[]) : undefined);
  if (!kernel || attrString(ctx.node, "auto_pad", "NOTSET") !== "NOTSET") {
    return [{ elemType: x.elemType, shape: [x.shape[0]!, outChannels, ...x.shape.slice(2).map(() => null)] }];
  }
  const strides = attrInts(ctx.node, "strides") ?? new Array(spatialRank).fill(1);
  const dilations = attrInts(ctx.node, "dilations") ?? new Array(spatialRank).fill(1);
  const pads = attrInts(ctx.node, "pads") ?? new Array(2 * spatialRank).fill(0);
  const outputPadding = attrInts(ctx.node, "output_padding") ?? new Array(spatialRank).fill(0);
  const spatial = x.shape
    .slice(2)
    .map((d, i) =>
      typeof d === "number"
        ? strides[i]! * (d - 1) +
          outputPadding[i]! +
          ((kernel[i]! - 1) * dilations[i]! + 1) -
          pads[i]! -
          pads[i + spatialRank]!
        : null,
    );
  return [{ elemType: x.elemType, shape: [x.shape[0]!, outChannels, ...spatial] }];
}

function matMul(ctx: InferContext): TensorInfo[] {
  const a = ctx.input(0) ?? UNKNOWN;
  const b = ctx.input(1) ?? UNKNOWN;
  if (!a.shape || !b.shape) return [{ elemType: a.elemType, shape: null }];
  const a2 = a.shape.length === 1 ? [1, a.shape[0]!] : a.shape;
  const b2 = b.shape.length === 1 ? [b.shape[0]!, 1] : b.shape;
  const batch = broadcastShapes([a2.slice(0, -2), b2.slice(0, -2)]);
  if (!batch) return [{ elemType: a.elemType, shape: null }];
  const shape: Dim[] = [...batch];
  if (a.shape.length !== 1) shape.push(a2[a2.length - 2]!);
  if (b.shape.length !== 1) shape.push(b2[b2.length - 1]!);
  return [{ elemType: a.elemType, shape }];
}

function gemm(ctx: InferContext): TensorInfo[] {
  const a = ctx.input(0) ?? UNKNOWN;
  const b = ctx.input(1) ?? UNKNOWN;
  const m = a.shape ? a.shape[attrInt(ctx.node, "transA", 0) ? 1 : 0]! : null;
  const n = b.shape ? b.shape[attrInt(ctx.node, "transB", 0) ? 0 : 1]! : null;
  return [{ elemType: a.elemType, shape: [m, n] }];
}

/** Axes of a Reduce, Squeeze or Unsqueeze node: attribute before the given opset, input after. */
export function axesOf(ctx: InferContext, inputSinceOpset: number): number[] | undefined | "dynamic" {
  if (ctx.opset >= inputSinceOpset) {
    if (ctx.node.inputs.length < 2 || ctx.node.inputs[1] === "") return undefined;
    return constInts(ctx.input(1)) ?? "dynamic";
  }
  return attrInts(ctx.node, "axes");
}

function reduce(inputSinceOpset: number): InferFn {
  return (ctx) => {
    const x = ctx.input(0) ?? UNKNOWN;
    const keep = attrInt(ctx.node, "keepdims", 1) === 1;
    const elemType = ctx.node.opType.startsWith("Arg") ? DataType.INT64 : x.elemType;
    if (!x.shape) return [{ elemType, shape: null }];
    const rank = x.shape.length;
    let axes: number[] | undefined | "dynamic";
    if (ctx.node.opType.startsWith("Arg")) axes = [attrInt(ctx.node, "axis", 0)];
    else axes = axesOf(ctx, inputSinceOpset);
    if (axes === "dynamic") return [{ elemType, shape: keep ? x.shape.map(() => null) : null }];
    if (!axes || axes.length === 0) {
      if (attrInt(ctx.node, "noop_with_empty_axes", 0) === 1) return [{ elemType, shape: x.shape }];
      axes = x.shape.map((_, i) => i);
    }
    const set = new Set(axes.map((a) => normAxis(a, rank)));
    const shape: Dim[] = [];
    x.shape.forEach((d, i) => {
      if (!set.has(i)) shape.push(d);
      else if (keep) shape.push(1);
    });
    return [{ elemType, shape }];
  };
}

/** Output shape of Reshape given the symbolic target (0 copies, -1 infers). */
export function reshapeShape(input: Dim[] | null, target: Dim[], allowZero: boolean): Dim[] {
  const out = target.map((t, i) => (t === 0 && !allowZero ? (input?.[i] ?? null) : t));
  const inferIndex = out.indexOf(-1);
  if (inferIndex >= 0) {
    out[inferIndex] = null;
    if (input && isStatic(input) && out.every((d, i) => i === inferIndex || typeof d === "number")) {
      const total = input.reduce((a, b) => a * b, 1);
      const rest = (out as number[]).reduce((a, b, i) => (i === inferIndex ? a : a * b), 1);
      out[inferIndex] = rest === 0 ? 0 : total / rest;
    } else if (input) {
      // Cancel matching factors symbolically: [N, 32, 8, 8] -> [N, 32, -1] gives 64.
      const remaining = [...input];
      let known = true;
      for (let i = 0; i < out.length && known; i++) {
        if (i === inferIndex) continue;
        const d = out[i]!;
        const j = remaining.indexOf(d);
        if (j >= 0) remaining.splice(j, 1);
        else if (typeof d === "number") {
          // Try to divide a static remaining factor by it.
          const k = remaining.findIndex((r) => typeof r === "number" && r % d === 0);
          if (k >= 0) remaining[k] = (remaining[k] as number) / d;
          else known = false;
        } else known = false;
      }
      if (known) {
        const symbolic = remaining.filter((r) => r !== 1);
        if (symbolic.every((r) => typeof r === "number")) {
          out[inferIndex] = (symbolic as number[]).reduce((a, b) => a * b, 1);
        } else if (symbolic.length === 1) out[inferIndex] = symbolic[0]!;
        else if (symbolic.every((r) => r !== null)) out[inferIndex] = derivedDim(symbolic.join("*"));
      }
    }
  }
  return out.map((d) => (typeof d === "number" && d < 0 ? null : d));
}

function sliceInfer(ctx: InferContext): TensorInfo[] {
  const x = ctx.input(0) ?? UNKNOWN;
  if (!x.shape) return [{ elemType: x.elemType, shape: null }];
  let starts: number[] | undefined;
  let ends: number[] | undefined;
  let axes: number[] | undefined;
  let steps: number[] | undefined;
  if (ctx.opset >= 10) {
    starts = constInts(ctx.input(1));
    ends = constInts(ctx.input(2));
    axes = ctx.node.inputs[3] ? constInts(ctx.input(3)) : undefined;
    steps = ctx.node.inputs[4] ? constInts(ctx.input(4)) : undefined;
    if ((ctx.node.inputs[3] && !axes) || (ctx.node.inputs[4] && !steps)) starts = undefined;
  } else {
    starts = attrInts(ctx.node, "starts");
    ends = attrInts(ctx.node, "ends");
    axes = attrInts(ctx.node, "axes");
  }
  const rank = x.shape.length;
  if (!starts || !ends) return [{ elemType: x.elemType, shape: x.shape.map(() => null) }];
  const shape = [...x.shape];
  const axisList = axes ?? starts.map((_, i) => i);
  const values = x.value ? [...x.value] : undefined;
  let sliceValues: Dim[] | undefined;
  axisList.forEach((a, i) => {
    const axis = normAxis(a, rank);
    const dim = x.shape![axis]!;
    const step = steps?.[i] ?? 1;
    if (typeof dim !== "number") {
      shape[axis] = null;
      return;
    }
    const [s, e] = clampSlice(starts![i]!, ends![i]!, step, dim);
    const count = Math.max(0, Math.ceil((e - s) / step));
    shape[axis] = count;
    if (values && rank === 1) {
      sliceValues = [];
      for (let k = 0; k < count; k++) sliceValues.push(values[s + k * step] ?? null);
    }
  });
  return [{ elemType: x.elemType, shape, value: sliceValues }];
}

/** Clamp Slice start/end the way ONNX does; returns the effective [start, end). */
export function clampSlice(start: number, end: number, step: number, dim: number): [number, number] {
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), dim);
    e = Math.min(Math.max(e, 0), dim);
  } else {
    s = Math.min(Math.max(s, -1), dim - 1);
    e = Math.min(Math.max(e, -1), dim - 1);
  }
  return [s, e];
}

function einsumInfer(ctx: InferContext): TensorInfo[] {
  const equation = attrString(ctx.node, "equation", "").replace(/\s/g, "");
  const [lhs, rhs] = equation.split("->");
  const first = ctx.input(0) ?? UNKNOWN;
  if (!lhs || rhs === undefined || equation.includes(".")) return [{ elemType: first.elemType, shape: null }];
  const dims = new Map<string, Dim>();
  lhs.split(",").forEach((term, i) => {
    const shape = ctx.input(i)?.shape;
    [...term].forEach((letter, k) => {
      const d = shape ? (shape[k] ?? null) : null;
      const prev = dims.get(letter);
      dims.set(letter, prev === undefined ? d : broadcastDims(prev, d));
    });
  });
  return [{ elemType: first.elemType, shape: [...rhs].map((l) => dims.get(l) ?? null) }];
}

function tensorInfo(t: TensorProto): TensorInfo {
  const dims = tensorDims(t);
  const info: TensorInfo = { elemType: t.dataType ?? 0, shape: dims };
  const count = dims.reduce((a, b) => a * b, 1);
  // Small rank-0/1 constants carry their values: shape targets, axes, Resize scales.
  if (count <= 64 && dims.length <= 1 && t.dataType !== DataType.STRING) {
    info.value = tensorValues(t);
  }
  return info;
}

export function initializerInfo(t: TensorProto): TensorInfo {
  return tensorInfo(t);
}

const INFER: Record<string, InferFn> = {
  Constant(ctx) {
    const t = attrTensor(ctx.node, "value");
    if (t) return [tensorInfo(t)];
    const ints = attrInts(ctx.node, "value_ints");
    if (ints) return [{ elemType: DataType.INT64, shape: [ints.length], value: ints }];
    if (ctx.node.attributes.some((a) => a.name === "value_int")) {
      const v = attrInt(ctx.node, "value_int", 0);
      return [{ elemType: DataType.INT64, shape: [], value: [v] }];
    }
    if (ctx.node.attributes.some((a) => a.name === "value_float")) {
      return [{ elemType: DataType.FLOAT, shape: [] }];
    }
    return [UNKNOWN];
  },
  Shape(ctx) {
    const x = ctx.input(0) ?? UNKNOWN;
    if (!x.shape) return [{ elemType: DataType.INT64, shape: [null] }];
    const start = normAxis(attrInt(ctx.node, "start", 0), x.shape.length);
    const endAttr = ctx.node.attributes.some((a) => a.name === "end")
      ? normAxis(attrInt(ctx.node, "end", x.shape.length), x.shape.length)
      : x.shape.length;
    const value = x.shape.slice(Math.max(0, start), Math.min(x.shape.length, endAttr));
    return [{ elemType: DataType.INT64, shape: [value.length], value }];
  },
  Size: () => [{ elemType: DataType.INT64, shape: [] }],
  Cast(ctx) {
    const x = ctx.input(0) ?? UNKNOWN;
    const to = attrInt(ctx.node, "to", 0);
    const keepValue = to === DataType.INT64 || to === DataType.INT32;
    return [{ elemType: to, shape: x.shape, value: keepValue ? x.value : undefined }];
  },
  CastLike(ctx) {
    const x = ctx.input(0) ?? UNKNOWN;
    return [{ elemType: ctx.input(1)?.elemType ?? 0, shape: x.shape }];
  },
  Identity(ctx) {
    const x = ctx.input(0) ?? UNKNOWN;
    return [{ ...x }];
  },
  ConstantOfShape(ctx) {
    const shapeIn = ctx.input(0);
    const valueT = attrTensor(ctx.node, "value");
    const elemType = valueT?.dataType ?? DataType.FLOAT;
    const dims =
      shapeIn?.value ??
      (typeof shapeIn?.shape?.[0] === "number" ? new Array(shapeIn.shape[0]).fill(null) : null);
    const info: TensorInfo = { elemType, shape: dims };
    if (dims && isStatic(dims) && dims.length <= 1 && (dims[0] ?? 1) <= 64 && valueT) {
      const v = tensorValues(valueT)?.[0] ?? 0;
      if (elemType === DataType.INT64 || elemType === DataType.INT32)
        info.value = new Array(dims[0] ?? 1).fill(v);
    }
    return [info];
  },
  Range(ctx) {
    const start = constInts(ctx.input(0));
    const limit = constInts(ctx.input(1));
    const delta = constInts(ctx.input(2));
    const elemType = ctx.input(0)?.elemType ?? 0;
    if (start && limit && delta) {
      const n = Math.max(0, Math.ceil((limit[0]! - start[0]!) / delta[0]!));
      return [{ elemType, shape: [n] }];
    }
    return [{ elemType, shape: [null] }];
  },
  MatMul: matMul,
  Gemm: gemm,
  Conv: convLike,
  AveragePool: convLike,
  MaxPool(ctx) {
    const [y] = convLike(ctx);
    return [y!, { elemType: DataType.INT64, shape: y!.shape }];
  },
  ConvTranspose: convTranspose,
  GlobalAveragePool(ctx) {
    const x = ctx.input(0) ?? UNKNOWN;
    return [{ elemType: x.elemType, shape: x.shape ? x.shape.map((d, i) => (i < 2 ? d : 1)) : null }];
  },
  ReduceSum: reduce(13),
  ReduceMean: reduce(18),
  ReduceMax: reduce(18),
  ReduceMin: reduce(18),
  ReduceProd: reduce(18),
  ReduceL2: reduce(18),
  ReduceSumSquare: reduce(18),
  ReduceLogSumExp: reduce(18),
  ArgMax: reduce(99),
  ArgMin: reduce(99),
  Reshape(ctx) {
    const x = ctx.input(0) ?? UNKNOWN;
    const target = ctx.input(1);
    const allowZero = attrInt(ctx.node, "allowzero", 0) === 1;
    let shape: Dim[] | null = null;
    if (target?.value) shape = reshapeShape(x.shape, target.value, allowZero);
    else if (typeof target?.shape?.[0] === "number") shape = new Array(target.shape[0]).fill(null);
    return [
      { elemType: x.elemType, shape, value: x.value && shape && shape.length <= 1 ? x.value : undefined },
    ];
  },
  Flatten(ctx) {
    const x = ctx.input(0) ?? UNKNOWN;
    if (!x.shape) return [{ elemType: x.elemType, shape: [null, null] }];
    const axis = normAxis(attrInt(ctx.node, "axis", 1), x.shape.length);
    const prod = (dims: Dim[]): Dim =>
      dims.length === 0
        ? 1
        : dims.length === 1
          ? dims[0]!
          : dims.reduce((a, b) => dimBinary(a, b, (p, q) => p * q), 1);
    return [{ elemType: x.elemType, shape: [prod(x.shape.slice(0, axis)), prod(x.shape.slice(axis))] }];
  },
  Transpose(ctx) {
    const x = ctx.input(0) ?? UNKNOWN;
    if (!x.shape) return [{ elemType: x.elemType, shape: null }];
    const perm = attrInts(ctx.node, "perm") ?? x.shape.map((_, i) => x.shape!.length - 1 - i);
    return [{ elemType: x.elemType, shape: perm.map((p) => x.shape![p] ?? null) }];
  },
  Squeeze(ctx) {
    const x = ctx.input(0) ?? UNKNOWN;
    const axes = axesOf(ctx, 13);
    if (!x.shape || axes === "dynamic") return [{ elemType: x.elemType, shape: null }];
    const rank = x.shape.length;
    const set = axes ? new Set(axes.map((a) => normAxis(a, rank))) : undefined;
    const shape = x.shape.filter((d, i) => (set ? !set.has(i) : d !== 1));
    return [{ elemType: x.elemType, shape, value: x.value }];
  },
  Unsqueeze(ctx) {
    const x = ctx.input(0) ?? UNKNOWN;
    const axes = axesOf(ctx, 13);
    if (!x.shape || axes === "dynamic" || !axes) return [{ elemType: x.elemType, shape: null }];
    const rank = x.shape.length + axes.length;
    const set = new Set(axes.map((a) => normAxis(a, rank)));
    const shape: Dim[] = [];
    let k = 0;
    for (let i = 0; i < rank; i++) shape.push(set.has(i) ? 1 : (x.shape[k++] ?? null));
    return [{ elemType: x.elemType, shape, value: x.value && rank <= 1 ? x.value : undefined }];
  },
  Concat(ctx) {
    const infos = ctx.node.inputs.map((_, i) => ctx.input(i) ?? UNKNOWN);
    const first = infos.find((i) => i.shape) ?? UNKNOWN;
    if (!first.shape) return [{ elemType: infos[0]?.elemType ?? 0, shape: null }];
    const rank = first.shape.length;
    const axis = normAxis(attrInt(ctx.node, "axis", 0), rank);
    const shape = first.shape.map((d, i) => {
      if (i !== axis) {
        for (const info of infos) {
          const v = info.shape?.[i];
          if (typeof v === "number") return v;
        }
        return d;
      }
      let total: Dim = 0;
      for (const info of infos) total = dimBinary(total, info.shape?.[i] ?? null, (p, q) => p + q);
      return total;
    });
    const values = rank === 1 && infos.every((i) => i.value) ? infos.flatMap((i) => i.value!) : undefined;
    return [{ elemType: infos[0]?.elemType ?? 0, shape, value: values }];
  },
  Split(ctx) {
    const x = ctx.input(0) ?? UNKNOWN;
    const n = ctx.node.outputs.length;
    if (!x.shape) return new Array(n).fill({ elemType: x.elemType, shape: null });
    const axis = normAxis(attrInt(ctx.node, "axis", 0), x.shape.length);
    const sizes = splitSizes(ctx, x.shape[axis] ?? null, n);
    return sizes.map((s) => ({ elemType: x.elemType, shape: x.shape!.map((d, i) => (i === axis ? s : d)) }));
  },
  Slice: sliceInfer,
  Gather(ctx) {
    const x = ctx.input(0) ?? UNKNOWN;
    const idx = ctx.input(1) ?? UNKNOWN;
    if (!x.shape || !idx.shape) return [{ elemType: x.elemType, shape: null }];
    const axis = normAxis(attrInt(ctx.node, "axis", 0), x.shape.length);
    const shape = [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)];
    let value: Dim[] | undefined;
    const indices = constInts(idx);
    if (x.value && x.shape.length === 1 && indices) {
      const len = x.value.length;
      value = indices.map((i) => x.value![i < 0 ? i + len : i] ?? null);
    }
    return [{ elemType: x.elemType, shape, value }];
  },
  GatherElements(ctx) {
    return [{ elemType: ctx.input(0)?.elemType ?? 0, shape: ctx.input(1)?.shape ?? null }];
  },
  ScatterND: same,
  ScatterElements: same,
  Expand(ctx) {
    const x = ctx.input(0) ?? UNKNOWN;
    const target = ctx.input(1);
    let shape: Dim[] | null = null;
    if (target?.value) shape = broadcastShapes([x.shape, target.value]);
    else if (typeof target?.shape?.[0] === "number" && x.shape) {
      shape = new Array(Math.max(target.shape[0], x.shape.length)).fill(null);
    }
    return [{ elemType: x.elemType, shape }];
  },
  Tile(ctx) {
    const x = ctx.input(0) ?? UNKNOWN;
    const repeats = constInts(ctx.input(1));
    if (!x.shape) return [{ elemType: x.elemType, shape: null }];
    return [
      {
        elemType: x.elemType,
        shape: x.shape.map((d, i) => (repeats ? dimBinary(d, repeats[i] ?? 1, (p, q) => p * q) : null)),
      },
    ];
  },
  Pad(ctx) {
    const x = ctx.input(0) ?? UNKNOWN;
    if (!x.shape) return [{ elemType: x.elemType, shape: null }];
    const pads = ctx.opset >= 11 ? constInts(ctx.input(1)) : attrInts(ctx.node, "pads");
    const axesInput = ctx.node.inputs[3] ? constInts(ctx.input(3)) : undefined;
    if (!pads || (ctx.node.inputs[3] && !axesInput))
      return [{ elemType: x.elemType, shape: x.shape.map(() => null) }];
    const rank = x.shape.length;
    const axes = axesInput ? axesInput.map((a) => normAxis(a, rank)) : x.shape.map((_, i) => i);
    const shape = [...x.shape];
    axes.forEach((axis, i) => {
      shape[axis] = dimBinary(x.shape![axis]!, pads[i]! + pads[i + axes.length]!, (p, q) => p + q);
    });
    return [{ elemType: x.elemType, shape }];
  },
  Resize(ctx) {
    const x = ctx.input(0) ?? UNKNOWN;
    if (!x.shape) return [{ elemType: x.elemType, shape: null }];
    const sizes = ctx.node.inputs[3] ? constInts(ctx.input(3)) : undefined;
    if (sizes)
      return [{ elemType: x.elemType, shape: sizes.map((v, i) => (v === x.shape![i] ? x.shape![i]! : v)) }];
    const scalesInfo = ctx.input(2);
    const scales = scalesInfo?.value;
    if (scales?.every((s) => typeof s === "number")) {
      return [
        {
          elemType: x.elemType,
          shape: x.shape.map((d, i) => {
            const scale = scales[i] as number;
            if (scale === 1) return d;
            if (typeof d === "string") return derivedDim(`${d}*${scale}`);
            return dimBinary(d, scale, (p, q) => Math.floor(p * q));
          }),
        },
      ];
    }
    return [{ elemType: x.elemType, shape: x.shape.map(() => null) }];
  },
  Einsum: einsumInfer,
  NonZero(ctx) {
    const x = ctx.input(0) ?? UNKNOWN;
    return [{ elemType: DataType.INT64, shape: [x.shape ? x.shape.length : null, null] }];
  },
  LayerNormalization(ctx) {
    const x = ctx.input(0) ?? UNKNOWN;
    const outs: TensorInfo[] = [{ elemType: x.elemType, shape: x.shape }];
    if (ctx.node.outputs.length > 1 && x.shape) {
      const axis = normAxis(attrInt(ctx.node, "axis", -1), x.shape.length);
      const stat = { elemType: x.elemType, shape: x.shape.map((d, i) => (i < axis ? d : 1)) };
      outs.push(stat, stat);
    }
    return outs;
  },
  Dropout(ctx) {
    const x = ctx.input(0) ?? UNKNOWN;
    return [
      { elemType: x.elemType, shape: x.shape },
      { elemType: DataType.BOOL, shape: x.shape },
    ];
  },
};

/** Split sizes from the `split` input/attribute or `num_outputs` (even split, last one smaller). */
export function splitSizes(ctx: InferContext, dim: Dim, n: number): Dim[] {
  const explicit = ctx.opset >= 13 ? constInts(ctx.input(1)) : attrInts(ctx.node, "split");
  if (explicit) return explicit;
  // Sizes given at run time: unknown here (an even-split guess would give wrong shapes).
  if (ctx.opset >= 13 && (ctx.node.inputs[1] ?? "") !== "") return new Array(n).fill(null);
  if (typeof dim !== "number") return new Array(n).fill(null);
  const chunk = Math.ceil(dim / n);
  return Array.from({ length: n }, (_, i) => Math.max(0, Math.min(chunk, dim - i * chunk)));
}

for (const op of [
  "Relu",
  "Sigmoid",
  "Tanh",
  "Exp",
  "Log",
  "Sqrt",
  "Reciprocal",
  "Neg",
  "Abs",
  "Erf",
  "Sin",
  "Cos",
  "LeakyRelu",
  "Softmax",
  "LogSoftmax",
  "Gelu",
  "Clip",
  "Floor",
  "Ceil",
  "Round",
  "Sign",
  "Softplus",
  "Elu",
  "HardSigmoid",
  "InstanceNormalization",
  "GroupNormalization",
  "BatchNormalization",
  "CumSum",
  "HardSwish",
  "Mish",
  "Trilu",
]) {
  INFER[op] = same;
}
for (const op of ["Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "PRelu", "Where", "Mod"]) {
  INFER[op] = elementwise();
}
for (const op of [
  "Equal",
  "Greater",
  "Less",
  "GreaterOrEqual",
  "LessOrEqual",
  "And",
  "Or",
  "Xor",
  "IsNaN",
  "IsInf",
]) {
  INFER[op] = elementwise(DataType.BOOL);
}
INFER.Not = (ctx) => [{ elemType: DataType.BOOL, shape: ctx.input(0)?.shape ?? null }];

export function inferNode(ctx: InferContext): TensorInfo[] {
  const fn = INFER[ctx.node.opType];
  if (!fn || ctx.node.domain !== "") return ctx.node.outputs.map(() => UNKNOWN);
  try {
    return fn(ctx);
  } catch {
    // Inference is advisory: a surprise here only costs a run-time Shape fallback.
    return ctx.node.outputs.map(() => UNKNOWN);
  }
}

/** Merge what inference found with a declared value_info: declared static dims win over unknowns. */
export function mergeInfo(inferred: TensorInfo | undefined, declared: TensorInfo | undefined): TensorInfo {
  if (!declared) return inferred ?? UNKNOWN;
  if (!inferred) return declared;
  const elemType = inferred.elemType || declared.elemType;
  let shape = inferred.shape;
  if (!shape) shape = declared.shape;
  else if (declared.shape && declared.shape.length === shape.length) {
    shape = shape.map((d, i) => {
      const other = declared.shape![i]!;
      if (typeof d === "number") return d;
      if (typeof other === "number") return other;
      return d ?? other;
    });
  }
  return { elemType, shape, value: inferred.value };
}
