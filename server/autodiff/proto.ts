/** ModelProto bytes <-> IR, through onnx-proto's protobufjs codec. */
import onnxProto from "onnx-proto";
import type { Dim, Graph, Model, Node, ValueInfo } from "./ir";
import { toNumber } from "./ir";

const { onnx } = onnxProto;

export type ModelProto = InstanceType<typeof onnx.ModelProto>;

export class ModelDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModelDecodeError";
  }
}

function valueInfoFromProto(v: onnxProto.onnx.IValueInfoProto): ValueInfo {
  const tensorType = v.type?.tensorType;
  const shape = tensorType?.shape;
  return {
    name: v.name ?? "",
    elemType: tensorType?.elemType ?? 0,
    shape: shape
      ? (shape.dim ?? []).map((d): Dim => {
          // Decoded messages expose the oneof case as `value`.
          const which = (d as { value?: string }).value;
          if (d.dimValue !== null && d.dimValue !== undefined && which === "dimValue") {
            return toNumber(d.dimValue);
          }
          if (d.dimParam) return d.dimParam;
          // protobufjs leaves `value` unset for decoded oneofs only when neither is present.
          if (d.dimValue !== null && d.dimValue !== undefined && toNumber(d.dimValue) > 0) {
            return toNumber(d.dimValue);
          }
          return null;
        })
      : null,
  };
}

function valueInfoToProto(v: ValueInfo): onnxProto.onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: v.elemType,
        shape: v.shape
          ? {
              dim: v.shape.map((d) =>
                typeof d === "number" ? { dimValue: d } : typeof d === "string" ? { dimParam: d } : {},
              ),
            }
          : null,
      },
    },
  };
}

function graphFromProto(g: onnxProto.onnx.IGraphProto): Graph {
  return {
    name: g.name ?? "graph",
    nodes: (g.node ?? []).map(
      (n): Node => ({
        opType: n.opType ?? "",
        domain: n.domain ?? "",
        name: n.name ?? "",
        inputs: [...(n.input ?? [])],
        outputs: [...(n.output ?? [])],
        attributes: [...(n.attribute ?? [])],
      }),
    ),
    inputs: (g.input ?? []).map(valueInfoFromProto),
    outputs: (g.output ?? []).map(valueInfoFromProto),
    initializers: [...(g.initializer ?? [])],
    valueInfo: (g.valueInfo ?? []).map(valueInfoFromProto),
  };
}

function graphToProto(g: Graph): onnxProto.onnx.IGraphProto {
  return {
    name: g.name,
    node: g.nodes.map((n) => ({
      opType: n.opType,
      domain: n.domain,
      name: n.name,
      input: n.inputs,
      output: n.outputs,
      attribute: n.attributes,
    })),
    input: g.inputs.map(valueInfoToProto),
    output: g.outputs.map(valueInfoToProto),
    initializer: g.initializers,
    valueInfo: g.valueInfo.map(valueInfoToProto),
  };
}

export function modelFromProto(m: onnxProto.onnx.IModelProto): Model {
  if (!m.graph) throw new ModelDecodeError("ModelProto has no graph");
  return {
    irVersion: toNumber(m.irVersion),
    opsetImports: (m.opsetImport ?? []).map((o) => ({
      domain: o.domain ?? "",
      version: toNumber(o.version),
    })),
    producerName: m.producerName ?? "",
    producerVersion: m.producerVersion ?? "",
    graph: graphFromProto(m.graph),
    passthrough: {
      metadataProps: m.metadataProps ?? null,
      functions: m.functions ?? null,
      domain: m.domain ?? null,
      modelVersion: m.modelVersion ?? null,
      docString: m.docString ?? null,
    },
  };
}

export function modelToProto(model: Model): ModelProto {
  return onnx.ModelProto.create({
    irVersion: model.irVersion,
    opsetImport: model.opsetImports.map((o) => ({ domain: o.domain, version: o.version })),
    producerName: model.producerName,
    producerVersion: model.producerVersion,
    graph: graphToProto(model.graph),
    ...model.passthrough,
  });
}

export function decodeModel(bytes: Uint8Array): Model {
  let proto: ModelProto;
  try {
    proto = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new ModelDecodeError(`Bytes are not an ONNX ModelProto: ${(error as Error).message}`);
  }
  return modelFromProto(proto);
}

export function encodeModel(model: Model | ModelProto): Uint8Array {
  const proto =
    "graph" in model && model.graph && "nodes" in model.graph ? modelToProto(model as Model) : model;
  return onnx.ModelProto.encode(proto as ModelProto).finish();
}

/** Accepts bytes, a decoded ModelProto or the IR, returns the IR. */
export function toModel(input: Uint8Array | onnxProto.onnx.IModelProto | Model): Model {
  if (input instanceof Uint8Array) return decodeModel(input);
  if ("passthrough" in input) return input;
  return modelFromProto(input);
}
