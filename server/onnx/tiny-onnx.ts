/**
 * Builds small, valid ONNX files without Python: a graph is a list of nodes between declared inputs and
 * outputs, encoded with onnx-proto. Used by the execution-provider probe and by tests (loader error cases,
 * feed checks, session cache).
 */
import onnxProto, { type onnx as OnnxTypes } from "onnx-proto";

// onnx-proto is CommonJS: its namespace arrives as the default export under ESM.
const { onnx } = onnxProto;

export type TinyElementType = "float32" | "int64" | "int32" | "float16";
/** A dimension: a fixed size or a symbolic name (dynamic). */
export type TinyDim = number | string;

export interface TinyValue {
  name: string;
  type: TinyElementType;
  shape: readonly TinyDim[];
}

export interface TinyNode {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  /** Integer-list attributes only (enough for Transpose perm, ReduceMean axes...). */
  intsAttributes?: Record<string, readonly number[]>;
  intAttributes?: Record<string, number>;
}

export interface TinyInitializer {
  name: string;
  dims: readonly number[];
  values: readonly number[];
  /** float32 unless told (int64 for shapes and axes). */
  type?: "float32" | "int64";
}

const elementTypeCode: Record<TinyElementType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  float16: onnx.TensorProto.DataType.FLOAT16,
};

function valueInfo(value: TinyValue): OnnxTypes.IValueInfoProto {
  return {
    name: value.name,
    type: {
      tensorType: {
        elemType: elementTypeCode[value.type],
        shape: {
          dim: value.shape.map((dim) => (typeof dim === "number" ? { dimValue: dim } : { dimParam: dim })),
        },
      },
    },
  };
}

export function buildTinyOnnx(spec: {
  inputs: readonly TinyValue[];
  outputs: readonly TinyValue[];
  nodes: readonly TinyNode[];
  initializers?: readonly TinyInitializer[];
  opset?: number;
}): Uint8Array {
  const model: OnnxTypes.IModelProto = {
    irVersion: 8,
    producerName: "dno-studio-tests",
    opsetImport: [{ domain: "", version: spec.opset ?? 17 }],
    graph: {
      name: "tiny",
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
      initializer: (spec.initializers ?? []).map((init) =>
        init.type === "int64"
          ? {
              name: init.name,
              dims: [...init.dims],
              dataType: onnx.TensorProto.DataType.INT64,
              int64Data: [...init.values],
            }
          : {
              name: init.name,
              dims: [...init.dims],
              dataType: onnx.TensorProto.DataType.FLOAT,
              floatData: [...init.values],
            },
      ),
      node: spec.nodes.map((node, index) => ({
        name: `${node.op}_${index}`,
        opType: node.op,
        input: [...node.inputs],
        output: [...node.outputs],
        attribute: [
          ...Object.entries(node.intsAttributes ?? {}).map(([name, ints]) => ({
            name,
            type: onnx.AttributeProto.AttributeType.INTS,
            ints: [...ints],
          })),
          ...Object.entries(node.intAttributes ?? {}).map(([name, i]) => ({
            name,
            type: onnx.AttributeProto.AttributeType.INT,
            i,
          })),
        ],
      })),
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/** y = x + 1 over a float tensor of the given shape: the smallest model that computes something. */
export function addOneModel(shape: readonly TinyDim[] = ["batch", 4]): Uint8Array {
  return buildTinyOnnx({
    inputs: [{ name: "x", type: "float32", shape }],
    outputs: [{ name: "y", type: "float32", shape }],
    initializers: [{ name: "one", dims: [], values: [1] }],
    nodes: [{ op: "Add", inputs: ["x", "one"], outputs: ["y"] }],
  });
}
