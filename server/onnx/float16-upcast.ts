/**
 * float16 models on a WebGPU adapter without half-precision shaders. ONNX Runtime's WebGPU provider runs a
 * float16 graph in float16 only when Dawn grants the `shader-f16` feature (Vulkan shaderFloat16 and 16-bit
 * storage); most GPUs have it, but SwiftShader (the software adapter CI tests on) and some older or mobile
 * drivers do not, and there the session fails while compiling its first shader ("Program Transpose requires
 * f16 but the device does not support it"). On such an adapter the runtime loads a float32 twin of the model
 * instead: the same graph with every float16 tensor type made float32 and each float16 weight read through a
 * Cast to float32, which ONNX Runtime's constant folding evaluates once on the CPU while the session is
 * created. The weights file stays as it is (the twin's folder hard-links it); the device holds float32 weights
 * (twice the bytes) and computes in float32, and the session's inputs and outputs are float32.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import onnxProto, { type onnx as OnnxTypes } from "onnx-proto";
import { externalDataEntry, writeAtomic } from "@/server/autodiff/cache";
import { OnnxError } from "./errors";
import { fromHalfBits } from "./float16";
import { buildTinyOnnx } from "./tiny-onnx";

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;
/** Changes to the transform change this, so older twins in the cache are not reused. */
const UPCAST_VERSION = 1;

/** A float16 tensor's values as float32 (raw little-endian bytes, or bit patterns in int32_data). */
function halfTensorValues(tensor: OnnxTypes.ITensorProto): number[] {
  const raw = tensor.rawData;
  if (raw && raw.length > 0) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    return Array.from({ length: raw.byteLength / 2 }, (_, i) => fromHalfBits(view.getUint16(2 * i, true)));
  }
  return (tensor.int32Data ?? []).map((bits) => fromHalfBits(bits));
}

/** An attribute's float16 tensor (Constant, ConstantOfShape values) made float32, in place. */
function upcastTensorValue(tensor: OnnxTypes.ITensorProto): boolean {
  if (tensor.dataType !== FLOAT16) return false;
  if (tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    throw new Error(`constant "${tensor.name ?? ""}" keeps float16 data outside the model file`);
  }
  // Raw little-endian bytes (what exporters write); an empty raw_data would count as present for ORT.
  const values = Float32Array.from(halfTensorValues(tensor));
  tensor.rawData = new Uint8Array(values.buffer);
  tensor.int32Data = [];
  tensor.dataType = FLOAT;
  return true;
}

function upcastValueInfo(values: OnnxTypes.IValueInfoProto[] | null | undefined): boolean {
  let changed = false;
  for (const value of values ?? []) {
    const tensorType = value.type?.tensorType;
    if (tensorType?.elemType === FLOAT16) {
      tensorType.elemType = FLOAT;
      changed = true;
    }
  }
  return changed;
}

/** The graph made float32 in place; true when it had anything float16. */
function upcastGraph(graph: OnnxTypes.IGraphProto): boolean {
  let changed = upcastValueInfo(graph.input);
  changed = upcastValueInfo(graph.output) || changed;
  changed = upcastValueInfo(graph.valueInfo) || changed;
  const graphInputs = new Set((graph.input ?? []).map((input) => input.name));
  const casts: OnnxTypes.INodeProto[] = [];
  for (const initializer of graph.initializer ?? []) {
    if (initializer.dataType !== FLOAT16) continue;
    changed = true;
    const external = initializer.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL;
    // Weights in the model file become float32 right here; weights in a separate file stay float16 there and
    // are read through a Cast (folded at session creation). An initializer that is also a graph input (an
    // overridable default) keeps its name, so it is converted here whatever its location would allow.
    if (!external || graphInputs.has(initializer.name ?? "")) {
      upcastTensorValue(initializer);
      continue;
    }
    const name = initializer.name ?? "";
    initializer.name = `${name}::float16`;
    casts.push({
      name: `${name}::to_float32`,
      opType: "Cast",
      input: [initializer.name],
      output: [name],
      attribute: [{ name: "to", type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }],
    });
  }
  for (const node of graph.node ?? []) {
    for (const attribute of node.attribute ?? []) {
      // Cast's `to`, and the `dtype` of generators (RandomNormal, EyeLike…): float16 → float32.
      if ((attribute.name === "to" || attribute.name === "dtype") && Number(attribute.i) === FLOAT16) {
        attribute.i = FLOAT;
        changed = true;
      }
      if (attribute.t) changed = upcastTensorValue(attribute.t) || changed;
      for (const tensor of attribute.tensors ?? []) changed = upcastTensorValue(tensor) || changed;
      if (attribute.g) changed = upcastGraph(attribute.g) || changed;
      for (const subgraph of attribute.graphs ?? []) changed = upcastGraph(subgraph) || changed;
    }
  }
  if (casts.length > 0) graph.node = [...casts, ...(graph.node ?? [])];
  return changed;
}

/** The float32 twin of a model's bytes, or undefined when the model has no float16 tensor. */
export function upcastFloat16Model(bytes: Uint8Array): Uint8Array | undefined {
  const model = onnx.ModelProto.decode(bytes);
  if (!model.graph || !upcastGraph(model.graph)) return undefined;
  return onnx.ModelProto.encode(model).finish();
}

/** Where float32 twins are written (derived files, keyed by content: safe to share and to delete). */
export function float32TwinDir(): string {
  return process.env.ORT_FLOAT32_TWIN_DIR?.trim() || path.join(tmpdir(), "dno-float32-twins");
}

/**
 * The float32 twin of the model file `modelPath` (with `sha256`), written once into `float32TwinDir()` under
 * the model's own file name; its external-data weights are hard-linked (or copied) beside it. Undefined when
 * the model has no float16. Failures say which model and what to do.
 */
export async function float32TwinFile(modelPath: string, sha256: string): Promise<string | undefined> {
  // Once per file and process: making the twin reads and rewrites the whole graph, and every load asks.
  const key = `${float32TwinDir()}|${sha256}|${modelPath}`;
  const made = twinsMade.get(key);
  if (made) {
    const file = await made;
    // The folder is safe to delete while the server runs: a twin gone from disk is made again.
    if (file === undefined || existsSync(file)) return file;
  }
  const pending = makeFloat32Twin(modelPath, sha256);
  twinsMade.set(key, pending);
  // A failure is not remembered: the next load tries again (the folder may have been fixed).
  pending.catch(() => twinsMade.delete(key));
  return pending;
}

const twinsMade = new Map<string, Promise<string | undefined>>();

async function makeFloat32Twin(modelPath: string, sha256: string): Promise<string | undefined> {
  const cacheDir = path.join(float32TwinDir(), `v${UPCAST_VERSION}`);
  const noFloat16 = path.join(cacheDir, `${sha256}.none`);
  if (await stat(noFloat16).catch(() => undefined)) return undefined;
  try {
    const bytes = new Uint8Array(await readFile(modelPath));
    const twin = upcastFloat16Model(bytes);
    await mkdir(cacheDir, { recursive: true });
    if (!twin) {
      await writeAtomic(noFloat16, "");
      return undefined;
    }
    // A twin of a model with weights beside it lives in a folder with (links to) those weights.
    const entryDir =
      (await externalDataEntry(modelPath, bytes, path.join(cacheDir, `${sha256}.onnx`))) ??
      path.join(cacheDir, sha256);
    await mkdir(entryDir, { recursive: true });
    const target = path.join(entryDir, path.basename(modelPath));
    const written = await stat(target).catch(() => undefined);
    if (written?.size !== twin.length) await writeAtomic(target, twin);
    return target;
  } catch (error) {
    const reason = error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
    throw new OnnxError(
      "ONNX_MODEL_LOAD_FAILED",
      `Model ${path.basename(path.dirname(modelPath))}/${path.basename(modelPath)} has float16 weights and this ` +
        `GPU adapter has no float16 shaders, so it runs as a float32 copy, which could not be made (${reason}). ` +
        "Check that the folder ORT_FLOAT32_TWIN_DIR names (default: dno-float32-twins in the system's temporary " +
        "folder) is writable and has room for the model, or use ORT_EXECUTION_PROVIDER=cpu.",
      { cause: error },
    );
  }
}

/** A model that computes in float16 (y = x · x): its session fails where the adapter has no f16 shaders. */
export function float16ProbeModel(): Uint8Array {
  return buildTinyOnnx({
    inputs: [{ name: "x", type: "float16", shape: [1, 4] }],
    outputs: [{ name: "y", type: "float16", shape: [1, 4] }],
    nodes: [{ op: "Mul", inputs: ["x", "x"], outputs: ["y"] }],
  });
}

/** Whether an ONNX Runtime error says the WebGPU device lacks float16 shaders. */
export function isMissingFloat16Error(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /requires f16 but the device does not support it/i.test(message);
}

/**
 * The file a WebGPU session of `modelPath` loads: the model itself, or its float32 twin where the adapter has
 * no float16 shaders (`runsFloat16` from runtime.ts's webGpuRunsFloat16) and the model has float16 tensors.
 */
export async function webGpuSessionFile(modelPath: string, runsFloat16: boolean): Promise<string> {
  if (runsFloat16) return modelPath;
  const sha256 = createHash("sha256")
    .update(await readFile(modelPath))
    .digest("hex");
  return (await float32TwinFile(modelPath, sha256)) ?? modelPath;
}
