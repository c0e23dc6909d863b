/**
 * A small in-memory IR for ONNX models: plain objects that are easy to walk and to extend.
 * Tensors (initializers, Constant values) stay as their decoded protobuf objects so that the
 * VJP model reuses them as they are: an initializer is referenced, never copied.
 */
import type { onnx } from "onnx-proto";

export type TensorProto = onnx.ITensorProto;
export type AttributeProto = onnx.IAttributeProto;

/** ONNX TensorProto.DataType values used here. */
export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  BFLOAT16: 16,
} as const;

/** Element types along which a gradient can flow. */
export function isFloatType(elemType: number | undefined): boolean {
  return (
    elemType === DataType.FLOAT ||
    elemType === DataType.DOUBLE ||
    elemType === DataType.FLOAT16 ||
    elemType === DataType.BFLOAT16
  );
}

/** One dimension: a fixed size, a symbolic name (dynamic axis), or unknown. */
export type Dim = number | string | null;

export interface ValueInfo {
  name: string;
  /** DataType value; 0 when unknown. */
  elemType: number;
  /** null when even the rank is unknown. */
  shape: Dim[] | null;
}

export interface Node {
  opType: string;
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes: AttributeProto[];
}

export interface Graph {
  name: string;
  nodes: Node[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers: TensorProto[];
  valueInfo: ValueInfo[];
}

export interface OpsetImport {
  domain: string;
  version: number;
}

export interface Model {
  irVersion: number;
  opsetImports: OpsetImport[];
  producerName: string;
  producerVersion: string;
  graph: Graph;
  /** Parts of the ModelProto this IR does not model (functions, metadata), carried through. */
  passthrough: Pick<
    onnx.IModelProto,
    "metadataProps" | "functions" | "domain" | "modelVersion" | "docString"
  >;
}

/** The default-domain opset version, which decides the form of many ops (attribute vs input). */
export function defaultOpset(model: Model): number {
  const entry = model.opsetImports.find((o) => o.domain === "" || o.domain === "ai.onnx");
  if (!entry) throw new Error("Model imports no default ONNX opset (domain ''); cannot interpret its ops");
  return entry.version;
}

// ---------------------------------------------------------------------------------------------
// Long-tolerant number conversion (protobufjs decodes int64 as Long objects)

interface LongLike {
  toNumber(): number;
}

export function toNumber(value: number | LongLike | null | undefined): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === "number") return value;
  return value.toNumber();
}

// ---------------------------------------------------------------------------------------------
// Attributes

export const AttributeType = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
} as const;

export const attr = {
  int: (name: string, i: number): AttributeProto => ({ name, type: AttributeType.INT, i }),
  float: (name: string, f: number): AttributeProto => ({ name, type: AttributeType.FLOAT, f }),
  ints: (name: string, ints: number[]): AttributeProto => ({ name, type: AttributeType.INTS, ints }),
  floats: (name: string, floats: number[]): AttributeProto => ({ name, type: AttributeType.FLOATS, floats }),
  string: (name: string, s: string): AttributeProto => ({
    name,
    type: AttributeType.STRING,
    s: new TextEncoder().encode(s),
  }),
  tensor: (name: string, t: TensorProto): AttributeProto => ({ name, type: AttributeType.TENSOR, t }),
};

function findAttr(node: Node, name: string): AttributeProto | undefined {
  return node.attributes.find((a) => a.name === name);
}

export function hasAttr(node: Node, name: string): boolean {
  return findAttr(node, name) !== undefined;
}

export function attrInt(node: Node, name: string, fallback: number): number {
  const a = findAttr(node, name);
  return a ? toNumber(a.i) : fallback;
}

export function attrFloat(node: Node, name: string, fallback: number): number {
  const a = findAttr(node, name);
  return a ? (a.f ?? 0) : fallback;
}

export function attrInts(node: Node, name: string): number[] | undefined {
  const a = findAttr(node, name);
  return a ? (a.ints ?? []).map((v) => toNumber(v)) : undefined;
}

export function attrFloats(node: Node, name: string): number[] | undefined {
  const a = findAttr(node, name);
  return a ? [...(a.floats ?? [])] : undefined;
}

export function attrString(node: Node, name: string, fallback: string): string {
  const a = findAttr(node, name);
  return a?.s ? new TextDecoder().decode(a.s) : fallback;
}

export function attrTensor(node: Node, name: string): TensorProto | undefined {
  return findAttr(node, name)?.t ?? undefined;
}

// ---------------------------------------------------------------------------------------------
// Tensor values

const BYTES_PER_ELEMENT: Record<number, number> = {
  [DataType.FLOAT]: 4,
  [DataType.DOUBLE]: 8,
  [DataType.FLOAT16]: 2,
  [DataType.BFLOAT16]: 2,
  [DataType.INT64]: 8,
  [DataType.UINT64]: 8,
  [DataType.INT32]: 4,
  [DataType.UINT32]: 4,
  [DataType.INT16]: 2,
  [DataType.UINT16]: 2,
  [DataType.INT8]: 1,
  [DataType.UINT8]: 1,
  [DataType.BOOL]: 1,
};

/** Bytes of one element of an ONNX data type, or undefined for types without a fixed size (strings). */
export function bytesPerElement(dataType: number): number | undefined {
  return BYTES_PER_ELEMENT[dataType];
}

export function tensorDims(t: TensorProto): number[] {
  return (t.dims ?? []).map((d) => toNumber(d));
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function floatToHalf(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  if (exponent <= 0) return sign;
  if (exponent >= 31) return sign | 0x7c00;
  return sign | (exponent << 10) | (mantissa >>> 13);
}

/** Whether a tensor's data lives outside the model (a `weights.pb` beside it) rather than inline. */
export function isExternalData(t: TensorProto): boolean {
  return t.dataLocation === 1 || (t.externalData?.length ?? 0) > 0;
}

/**
 * The values of a tensor as JS numbers (int64 beyond 2^53 loses precision, which only matters
 * for sentinel values such as INT64_MAX in Slice ends; those stay "very large", which is all
 * the callers need). Returns undefined for external data.
 */
export function tensorValues(t: TensorProto): number[] | undefined {
  const type = t.dataType ?? 0;
  const count = elementCount(tensorDims(t));
  if (t.dataLocation === 1) return undefined;
  const raw = t.rawData;
  if (raw && raw.length > 0) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const size = BYTES_PER_ELEMENT[type];
    if (!size) return undefined;
    const out: number[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const o = i * size;
      switch (type) {
        case DataType.FLOAT:
          out[i] = view.getFloat32(o, true);
          break;
        case DataType.DOUBLE:
          out[i] = view.getFloat64(o, true);
          break;
        case DataType.FLOAT16:
          out[i] = halfToFloat(view.getUint16(o, true));
          break;
        case DataType.BFLOAT16:
          out[i] = new Float32Array(new Uint32Array([view.getUint16(o, true) << 16]).buffer)[0]!;
          break;
        case DataType.INT64:
          out[i] = Number(view.getBigInt64(o, true));
          break;
        case DataType.UINT64:
          out[i] = Number(view.getBigUint64(o, true));
          break;
        case DataType.INT32:
          out[i] = view.getInt32(o, true);
          break;
        case DataType.UINT32:
          out[i] = view.getUint32(o, true);
          break;
        case DataType.INT16:
          out[i] = view.getInt16(o, true);
          break;
        case DataType.UINT16:
          out[i] = view.getUint16(o, true);
          break;
        case DataType.INT8:
          out[i] = view.getInt8(o);
          break;
        default:
          out[i] = view.getUint8(o);
      }
    }
    return out;
  }
  switch (type) {
    case DataType.FLOAT:
      return [...(t.floatData ?? [])];
    case DataType.DOUBLE:
      return [...(t.doubleData ?? [])];
    case DataType.INT64:
      return (t.int64Data ?? []).map((v) => toNumber(v));
    case DataType.UINT64:
      return (t.uint64Data ?? []).map((v) => toNumber(v));
    case DataType.FLOAT16:
    case DataType.BFLOAT16:
      return (t.int32Data ?? []).map((v) => (type === DataType.FLOAT16 ? halfToFloat(v) : v));
    default:
      return [...(t.int32Data ?? [])];
  }
}

/** A tensor of the given element type holding `values` (little-endian raw data). */
export function makeTensor(
  name: string,
  dataType: number,
  dims: number[],
  values: ArrayLike<number>,
): TensorProto {
  const count = elementCount(dims);
  if (values.length !== count) {
    throw new Error(
      `Tensor ${name}: ${values.length} values for dims [${dims.join(", ")}] (${count} expected)`,
    );
  }
  const size = BYTES_PER_ELEMENT[dataType];
  if (!size) throw new Error(`Tensor ${name}: cannot encode element type ${dataType}`);
  const raw = new Uint8Array(count * size);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < count; i++) {
    const v = values[i]!;
    const o = i * size;
    switch (dataType) {
      case DataType.FLOAT:
        view.setFloat32(o, v, true);
        break;
      case DataType.DOUBLE:
        view.setFloat64(o, v, true);
        break;
      case DataType.FLOAT16:
        view.setUint16(o, floatToHalf(v), true);
        break;
      case DataType.BFLOAT16:
        view.setUint16(o, new Uint32Array(new Float32Array([v]).buffer)[0]! >>> 16, true);
        break;
      case DataType.INT64:
      case DataType.UINT64:
        view.setBigInt64(o, BigInt(Math.trunc(v)), true);
        break;
      case DataType.INT32:
      case DataType.UINT32:
        view.setInt32(o, v, true);
        break;
      case DataType.INT16:
      case DataType.UINT16:
        view.setInt16(o, v, true);
        break;
      default:
        view.setUint8(o, v);
    }
  }
  return { name, dataType, dims, rawData: raw };
}
