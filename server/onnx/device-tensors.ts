/**
 * Tensors kept on the execution provider's device between runs, and the count of host↔device copies at the
 * session boundary (RuntimeStats.transfers).
 *
 * What onnxruntime-node 1.30 allows on its WebGPU provider (each tried in a child process on SwiftShader):
 * - Session option `preferredOutputLocation: { <output>: "gpu-buffer" }`: that output stays a GPU buffer
 *   (an ort.Tensor with location "gpu-buffer"); the session's other outputs still come back to the host.
 * - Such a tensor fed to the next run of the same or of another WebGPU session is read in place, no copy.
 * - A preallocated host tensor passed as the fetch of a "gpu-buffer" output is ignored: ORT allocates on the
 *   device and leaves the host array untouched. A session therefore has fixed output locations.
 * - `tensor.getData()` / download of a GPU tensor: the binding's download is "not implemented" and throws a
 *   C string, which aborts the whole process (`terminate called after throwing an instance of 'char const*'`).
 *   Never called here: what the host reads is always a host output of some run.
 * - A GPU tensor fed to a CPU-provider session is read as if it were host memory: wrong numbers, no error.
 *   Refused here (`feedTensor`).
 * - `dispose()` releases the buffer at once (otherwise the garbage collector does); a disposed tensor fed
 *   again is refused by the binding ("Tensor.location is not supported").
 * - `Tensor.fromGpuBuffer` needs a GPUBuffer of a WebGPU device, which Node does not expose: unusable.
 * - Memory: 20,000 cycles of upload (1 MiB) → a run reading it with a host output → dispose stay flat (RSS
 *   ~160-200 MB on SwiftShader). Runs that return nothing to the host do not: 40,000 runs with a 1 MiB host
 *   input and only a device output (disposed) grew to 8 GB, and device-in/device-out runs grew ~2.5 KB each;
 *   one run with a host output every 100 such runs keeps it flat (ONNX Runtime reclaims its upload buffers
 *   when a run reads back). Every chain call has a host output (ε̂, the gradient), so this does not arise.
 * The CUDA build's binding has no device-output location (only "WebGPU_Buf" buffers come back as GPU
 * tensors), so on CUDA and the CPU a "device tensor" is a private host copy and nothing changes.
 *
 * Uploads run a one-node Identity session whose output is kept on the device.
 */
import * as ort from "onnxruntime-node";
import { OnnxError } from "./errors";
import { buildTinyOnnx, type TinyElementType } from "./tiny-onnx";
import type { DeviceTensor, ElementType, ResolvedExecutionProvider, TransferStats } from "./types";

/**
 * Whether a provider keeps tensors on its device in this binding (see above). ORT_DEVICE_TENSORS=0 turns it
 * off (every tensor then crosses the host at every run, as before; for comparing copy counts, or a driver
 * that misbehaves with device outputs).
 */
export function keepsTensorsOnDevice(provider: ResolvedExecutionProvider): boolean {
  return provider === "webgpu" && process.env.ORT_DEVICE_TENSORS?.trim() !== "0";
}

/** Where a provider's device tensors live: on the GPU for WebGPU, in host memory otherwise. */
function locationOf(provider: ResolvedExecutionProvider): ResolvedExecutionProvider {
  return keepsTensorsOnDevice(provider) ? provider : "cpu";
}

const elementBytes: Record<ElementType, number> = {
  float32: 4,
  int64: 8,
  int32: 4,
  float16: 2,
  float64: 8,
  uint8: 1,
  int8: 1,
  bool: 1,
};

/** Bytes of an ORT tensor's elements (host or device). */
export function ortTensorBytes(tensor: ort.Tensor): number {
  return tensor.size * (elementBytes[tensor.type as ElementType] ?? 4);
}

/** Counts host↔device copies at the session boundary; all zero on the CPU provider. */
export class TransferCounter {
  private toDevice = 0;
  private toDeviceBytes = 0;
  private toHost = 0;
  private toHostBytes = 0;
  constructor(private readonly provider: ResolvedExecutionProvider) {}

  /** A host tensor handed to a session of this provider. */
  fed(bytes: number): void {
    if (this.provider === "cpu") return;
    this.toDevice += 1;
    this.toDeviceBytes += bytes;
  }

  /** A host tensor returned by a session of this provider. */
  returned(bytes: number): void {
    if (this.provider === "cpu") return;
    this.toHost += 1;
    this.toHostBytes += bytes;
  }

  snapshot(): TransferStats {
    return {
      toDevice: this.toDevice,
      toDeviceBytes: this.toDeviceBytes,
      toHost: this.toHost,
      toHostBytes: this.toHostBytes,
    };
  }

  reset(): void {
    this.toDevice = 0;
    this.toDeviceBytes = 0;
    this.toHost = 0;
    this.toHostBytes = 0;
  }
}

/** The runtime's `DeviceTensor`: an ORT tensor on the GPU (WebGPU) or a private host copy (other providers). */
export class OrtDeviceTensor implements DeviceTensor {
  readonly type = "device" as const;
  readonly elementType: ElementType;
  readonly dims: readonly number[];
  readonly byteLength: number;
  private tensor: ort.Tensor | null;

  constructor(
    tensor: ort.Tensor,
    readonly provider: ResolvedExecutionProvider,
  ) {
    this.tensor = tensor;
    this.elementType = tensor.type as ElementType;
    this.dims = [...tensor.dims];
    this.byteLength = ortTensorBytes(tensor);
  }

  get disposed(): boolean {
    return this.tensor === null;
  }

  /** Whether feeding it to a session of `provider` copies it from the host. */
  crossesTo(provider: ResolvedExecutionProvider): boolean {
    return this.provider === "cpu" && provider !== "cpu";
  }

  /** The ORT tensor to feed to a session of `provider` (a GPU buffer only to a session of its own provider). */
  feedTensor(model: string, input: string, provider: ResolvedExecutionProvider): ort.Tensor {
    if (!this.tensor) {
      throw new OnnxError(
        "ONNX_RUN_FAILED",
        `Model "${model}" input "${input}" was given a device tensor that was already released (an internal error: report it).`,
      );
    }
    if (this.provider !== "cpu" && this.provider !== provider) {
      throw new OnnxError(
        "ONNX_RUN_FAILED",
        `Model "${model}" runs on ${provider} but input "${input}" is a tensor in ${this.provider} memory (an internal error: report it).`,
      );
    }
    return this.tensor;
  }

  dispose(): void {
    this.tensor?.dispose();
    this.tensor = null;
  }
}

/** Wraps a run's output tensor as a device tensor of `provider` (a host output off the GPU is a host copy). */
export function deviceTensorOf(tensor: ort.Tensor, provider: ResolvedExecutionProvider): OrtDeviceTensor {
  return new OrtDeviceTensor(tensor, tensor.location === "gpu-buffer" ? provider : "cpu");
}

/** One Identity session per (provider, element type, rank), its output kept on the device. */
const uploadSessions = new Map<string, Promise<ort.InferenceSession>>();

function uploadSession(provider: ResolvedExecutionProvider, type: TinyElementType, rank: number) {
  const key = `${provider}|${type}|${rank}`;
  let session = uploadSessions.get(key);
  if (!session) {
    const shape = Array.from({ length: rank }, (_, axis) => `d${axis}`);
    const model = buildTinyOnnx({
      inputs: [{ name: "x", type, shape }],
      outputs: [{ name: "y", type, shape }],
      nodes: [{ op: "Identity", inputs: ["x"], outputs: ["y"] }],
    });
    session = ort.InferenceSession.create(model, {
      executionProviders: [provider],
      preferredOutputLocation: { y: "gpu-buffer" },
      logSeverityLevel: 3,
    });
    session.catch(() => uploadSessions.delete(key));
    uploadSessions.set(key, session);
  }
  return session;
}

const uploadTypes: readonly string[] = ["float32", "float16", "int64", "int32"];

/**
 * Copies a host ORT tensor to `provider`'s device once (one counted copy), or, where the provider keeps
 * nothing on a device, into a private host copy (no copy counted: the runs that read it will count theirs).
 */
export async function uploadTensor(
  tensor: ort.Tensor,
  provider: ResolvedExecutionProvider,
  transfers: TransferCounter,
): Promise<OrtDeviceTensor> {
  if (!keepsTensorsOnDevice(provider) || !uploadTypes.includes(tensor.type)) {
    const data = tensor.data;
    if (!ArrayBuffer.isView(data)) throw new TypeError(`Cannot keep a ${tensor.type} tensor`);
    const copy = new ort.Tensor(tensor.type, (data as Float32Array).slice(), tensor.dims);
    return new OrtDeviceTensor(copy, locationOf("cpu"));
  }
  const session = await uploadSession(provider, tensor.type as TinyElementType, tensor.dims.length);
  const outputs = await session.run({ x: tensor });
  transfers.fed(ortTensorBytes(tensor));
  const kept = outputs.y;
  if (!kept) throw new OnnxError("ONNX_RUN_FAILED", "Uploading a tensor to the device returned nothing.");
  return deviceTensorOf(kept, provider);
}
