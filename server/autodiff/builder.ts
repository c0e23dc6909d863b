/**
 * Tiny model builder: test models (one op, or a handful of nodes) written in TypeScript.
 */
import type { AttributeProto, Dim, Model, Node, TensorProto, ValueInfo } from "./ir";
import { DataType, makeTensor } from "./ir";

export type ElemName = "float32" | "float64" | "float16" | "int64" | "int32" | "bool";

export const ELEM_TYPE: Record<ElemName, number> = {
  float32: DataType.FLOAT,
  float64: DataType.DOUBLE,
  float16: DataType.FLOAT16,
  int64: DataType.INT64,
  int32: DataType.INT32,
  bool: DataType.BOOL,
};

export interface InputSpec {
  name: string;
  type: ElemName;
  dims: Dim[];
}

export interface OutputSpec {
  name: string;
  type: ElemName;
  dims?: Dim[];
}

export interface GraphSpec {
  nodes: Array<Partial<Node> & { opType: string; inputs: string[]; outputs: string[] }>;
  inputs: InputSpec[];
  outputs: OutputSpec[];
  initializers?: TensorProto[];
  opset?: number;
}

export function valueInfo(name: string, type: ElemName, dims?: Dim[]): ValueInfo {
  return { name, elemType: ELEM_TYPE[type], shape: dims ?? null };
}

export function constantTensor(
  name: string,
  type: ElemName,
  dims: number[],
  values: ArrayLike<number>,
): TensorProto {
  return makeTensor(name, ELEM_TYPE[type], dims, values);
}

export function buildModel(spec: GraphSpec): Model {
  return {
    irVersion: 8,
    opsetImports: [{ domain: "", version: spec.opset ?? 17 }],
    producerName: "dno-studio-autodiff-builder",
    producerVersion: "1",
    graph: {
      name: "test",
      nodes: spec.nodes.map((n, i) => ({
        domain: "",
        name: n.name ?? `${n.opType}_${i}`,
        attributes: [],
        ...n,
      })),
      inputs: spec.inputs.map((i) => valueInfo(i.name, i.type, i.dims)),
      outputs: spec.outputs.map((o) => valueInfo(o.name, o.type, o.dims)),
      initializers: spec.initializers ?? [],
      valueInfo: [],
    },
    passthrough: {},
  };
}

export interface SingleOpSpec {
  op: string;
  /** Graph inputs in order; "" leaves an optional input slot empty. */
  inputs: Array<InputSpec | TensorProto | "">;
  attributes?: AttributeProto[];
  outputs?: OutputSpec[];
  opset?: number;
}

/** One node fed by graph inputs and constant initializers; output `y` of the first float input's type. */
export function singleOpModel(spec: SingleOpSpec): Model {
  const graphInputs: InputSpec[] = [];
  const initializers: TensorProto[] = [];
  const inputNames = spec.inputs.map((input) => {
    if (input === "") return "";
    if ("type" in input && typeof input.type === "string") {
      graphInputs.push(input as InputSpec);
      return input.name as string;
    }
    initializers.push(input as TensorProto);
    return (input as TensorProto).name ?? "";
  });
  const firstFloat = graphInputs.find((i) => i.type.startsWith("float"))?.type ?? "float32";
  const outputs = spec.outputs ?? [{ name: "y", type: firstFloat }];
  return buildModel({
    nodes: [
      {
        opType: spec.op,
        inputs: inputNames,
        outputs: outputs.map((o) => o.name),
        attributes: spec.attributes ?? [],
      },
    ],
    inputs: graphInputs,
    outputs,
    initializers,
    opset: spec.opset,
  });
}
