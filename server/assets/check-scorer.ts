/**
 * Checks an uploaded ONNX scoring model before it is kept: it parses as an ONNX ModelProto, imports a
 * default-domain opset the runtime and the autodiff support, takes exactly one picture batch [N, 3, H, W]
 * and gives one score (or a few, picked by “Score position”) per picture. Each failure is one sentence
 * that names the file and says what to do. `checkScorer` takes bytes; `checkScorerFile` reads a file's
 * structure without its weights (proto-skeleton.ts), so a 1.2 GB scorer is checked in a few MiB of memory.
 */
import type { Dim, Model, ValueInfo } from "@/server/autodiff/ir";
import { decodeModel } from "@/server/autodiff/proto";
import { ProtoSkeletonError, readModelSkeleton } from "@/server/autodiff/proto-skeleton";

export const MIN_SCORER_OPSET = 13;
export const MAX_SCORER_OPSET = 26;

/** ONNX TensorProto.DataType.FLOAT. */
const FLOAT = 1;
/** TensorProto.DataLocation.EXTERNAL. */
const EXTERNAL = 1;

export interface ScorerSummary {
  opset: number;
  input: { name: string; shape: string };
  output: { name: string; shape: string };
}

export class ScorerCheckError extends Error {
  override name = "ScorerCheckError";
}

export function shapeText(shape: readonly Dim[] | null): string {
  if (shape === null) return "unknown";
  return `[${shape.map((dim) => (dim === null ? "?" : String(dim))).join(", ")}]`;
}

const isDynamicOr = (dim: Dim | undefined, size: number) =>
  dim === null || dim === undefined || typeof dim === "string" || dim === size || dim <= 0;

const notOnnx = (name: string) =>
  new ScorerCheckError(
    `“${name}” is not an ONNX model (it could not be read as one). Export your scoring model with ` +
      "torch.onnx.export (or onnx.save) and upload the .onnx file.",
  );

function decode(bytes: Uint8Array, name: string): Model {
  let model: Model;
  try {
    model = decodeModel(bytes);
  } catch {
    throw notOnnx(name);
  }
  // Protocol buffers decode many byte strings without complaint: a model must at least have ops and I/O.
  if (model.graph.nodes.length === 0 || model.graph.outputs.length === 0 || model.opsetImports.length === 0) {
    throw notOnnx(name);
  }
  return model;
}

export function checkScorer(bytes: Uint8Array, name: string): ScorerSummary {
  return checkScorerModel(decode(bytes, name), name);
}

/** The same checks on a file, reading its structure only: the weights stay on disk. */
export async function checkScorerFile(file: string, name: string): Promise<ScorerSummary> {
  let skeleton: Uint8Array;
  try {
    skeleton = (await readModelSkeleton(file)).bytes;
  } catch (error) {
    if (error instanceof ProtoSkeletonError) throw notOnnx(name);
    throw error;
  }
  return checkScorer(skeleton, name);
}

function checkScorerModel(model: Model, name: string): ScorerSummary {
  const opsetEntry = model.opsetImports.find((entry) => entry.domain === "" || entry.domain === "ai.onnx");
  const opset = opsetEntry?.version ?? 0;
  if (opset < MIN_SCORER_OPSET || opset > MAX_SCORER_OPSET) {
    throw new ScorerCheckError(
      `“${name}” uses ONNX opset ${opsetEntry ? opset : "(none)"}; scoring models need opset ${MIN_SCORER_OPSET} to ${MAX_SCORER_OPSET}. ` +
        "Export it again with opset_version=17.",
    );
  }
  if (model.graph.initializers.some((tensor) => tensor.dataLocation === EXTERNAL)) {
    throw new ScorerCheckError(
      `“${name}” keeps its weights in a separate file (ONNX external data), which a one-file upload cannot ` +
        "bring along. Merge them into one .onnx file (up to 2 GB, ONNX's one-file limit): " +
        "onnx.save(onnx.load(path), merged_path, save_as_external_data=False).",
    );
  }
  const initializers = new Set(model.graph.initializers.map((tensor) => tensor.name ?? ""));
  const inputs = model.graph.inputs.filter((input) => !initializers.has(input.name));
  if (inputs.length !== 1) {
    throw new ScorerCheckError(
      `“${name}” has ${inputs.length} inputs (${inputs.map((input) => input.name).join(", ") || "none"}); ` +
        "a scoring model takes exactly one input, the pictures as [N, 3, H, W].",
    );
  }
  const input = inputs[0] as ValueInfo;
  const inputShape = input.shape;
  if (
    (input.elemType !== FLOAT && input.elemType !== 0) ||
    (inputShape !== null && (inputShape.length !== 4 || !isDynamicOr(inputShape[1], 3)))
  ) {
    throw new ScorerCheckError(
      `“${name}”'s input “${input.name}” is ${input.elemType === FLOAT ? "" : "not float32 and "}shaped ${shapeText(inputShape)}; ` +
        "a scoring model takes pictures as float32 [N, 3, H, W] (3 colour channels).",
    );
  }
  const output = model.graph.outputs[0] as ValueInfo;
  const outputShape = output.shape;
  if (
    (output.elemType !== FLOAT && output.elemType !== 0) ||
    (outputShape !== null && outputShape.length > 2)
  ) {
    throw new ScorerCheckError(
      `“${name}”'s output “${output.name}” is ${output.elemType === FLOAT ? "" : "not float32 and "}shaped ${shapeText(outputShape)}; ` +
        "a scoring model gives float32 scores, one per picture: [N], [N, 1] or [] (or [N, K] with “Score position” picking one).",
    );
  }
  return {
    opset,
    input: { name: input.name, shape: shapeText(inputShape) },
    output: { name: output.name, shape: shapeText(outputShape) },
  };
}
