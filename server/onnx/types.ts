/**
 * The interface the rest of the server sees of ONNX Runtime. Only this folder imports onnxruntime-node;
 * everything else (model loader, sampler, executor, tests) works with these plain types, so a test or
 * another backend can supply its own `OnnxRuntime`.
 */
import type { DeviceInfo } from "./providers";

/** Element types the runtime passes across the boundary (others are reported as unsupported). */
export type ElementType = "float32" | "int64" | "int32" | "float16" | "float64" | "uint8" | "int8" | "bool";

/** A tensor in host memory, row-major. */
export type HostTensor =
  | { readonly type: "float32"; readonly data: Float32Array; readonly dims: readonly number[] }
  | { readonly type: "int64"; readonly data: BigInt64Array; readonly dims: readonly number[] }
  | { readonly type: "int32"; readonly data: Int32Array; readonly dims: readonly number[] };

export type HostTensorType = HostTensor["type"];

/**
 * A tensor kept where the runtime's provider computes (a GPU buffer on WebGPU; host memory on the CPU), to be
 * fed to later runs of models of the same provider without a copy through the host. Made by `OnnxModel.upload`
 * or returned for a model's `deviceOutputs`. Its contents cannot be read from JavaScript (onnxruntime-node 1.30
 * aborts the process on reading a GPU tensor): what the host needs stays a `HostTensor` output. `dispose` frees
 * its memory at once (otherwise when it is garbage-collected); a disposed tensor is refused as a feed.
 */
export interface DeviceTensor {
  readonly type: "device";
  /** The element type as stored (float16 for a float16 model's input, unlike `TensorSpec.type`). */
  readonly elementType: ElementType;
  readonly dims: readonly number[];
  readonly byteLength: number;
  readonly provider: ResolvedExecutionProvider;
  readonly disposed: boolean;
  dispose(): void;
}

/** What a run takes as a feed and gives back: a host tensor, or one kept on the device. */
export type OnnxValue = HostTensor | DeviceTensor;

/** Declared type and shape of a model input or output; a string dimension is symbolic (any size). */
export interface TensorSpec {
  readonly name: string;
  readonly type: ElementType | "unknown";
  readonly shape: readonly (number | string)[];
  /**
   * The model stores this input or output as float16: `type` is then float32, what callers feed and get back,
   * and the runtime casts at the session boundary (float16 exports look like float32 ones to the app).
   */
  readonly castFrom?: "float16";
}

export interface RunOptions {
  /**
   * Preallocated output tensors (by output name): ONNX Runtime writes into them instead of allocating, which
   * removes per-call allocations from hot loops such as the sampler's UNet calls.
   */
  readonly outputs?: Readonly<Record<string, HostTensor>>;
  /** Cancels the call (default: the signal of the enclosing `withOnnxSignal` scope, if any). */
  readonly signal?: AbortSignal;
}

/**
 * A run whose feeds and outputs are fixed host arrays: checked and wrapped once, then run many times while
 * the caller rewrites the arrays' contents (the sampler's UNet loop). Outputs are written in place.
 */
export interface BoundRun {
  run(options?: { signal?: AbortSignal }): Promise<void>;
  dispose(): void;
}

export interface OnnxModel {
  /** Short name used in error messages, e.g. "unet" or "text_encoder". */
  readonly name: string;
  readonly path: string;
  /** sha256 of the model file: the session cache key. */
  readonly sha256: string;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  /**
   * Outputs this model's session keeps on the device (the `deviceOutputs` it was loaded with): `run` returns
   * them as `DeviceTensor`s, every other output as a `HostTensor`.
   */
  readonly deviceOutputs: readonly string[];
  /**
   * Runs the model after checking feeds against `inputs` (names, types, shapes) and returns its host outputs
   * (outputs in `deviceOutputs` are released: use `runKeeping` for them).
   */
  run(feeds: Readonly<Record<string, OnnxValue>>, options?: RunOptions): Promise<Record<string, HostTensor>>;
  /** `run`, also returning the outputs in `deviceOutputs`, as `DeviceTensor`s the caller disposes. */
  runKeeping(
    feeds: Readonly<Record<string, OnnxValue>>,
    options?: RunOptions,
  ): Promise<{ host: Record<string, HostTensor>; device: Record<string, DeviceTensor> }>;
  /** Checks `feeds` once and binds them and the preallocated `outputs` for repeated runs. */
  bind(feeds: Readonly<Record<string, OnnxValue>>, outputs: Readonly<Record<string, HostTensor>>): BoundRun;
  /**
   * Copies a host tensor meant for input `input` to the device once (cast to that input's stored element type),
   * so that many runs of this and other models of the same runtime read it without copying it again. On the
   * CPU provider it is a private host copy.
   */
  upload(input: string, tensor: HostTensor): Promise<DeviceTensor>;
}

export interface LoadOptions {
  /** Short name used in error messages. */
  readonly name?: string;
  readonly signal?: AbortSignal;
  /**
   * Outputs the session keeps on the device, returned as `DeviceTensor`s (on a GPU provider a session of its
   * own, cached apart from the same file's host-output session). Only for outputs that feed other models.
   */
  readonly deviceOutputs?: readonly string[];
  /**
   * ONNX Runtime's memory pattern (default on): from a session's first calls it plans one block for the
   * intermediates of each input shape and allocates it whole on later calls. Measured on the full SD-1.5 VAE
   * decoder's VJP: ~20 % faster per call from the second on (256 px: 6.5–7.9 s vs 8.1–9.0 s), but its second
   * call peaks higher (+0.45 GB at 256 px, +1 GB at 512 px). Off for the decoder's segments
   * (server/executor/decoder-segments.ts), each run once per iteration at sizes where memory counts most.
   * Such a session is cached apart from the same file's default one.
   */
  readonly memoryPattern?: boolean;
}

export type ExecutionProviderChoice = "cpu" | "cuda" | "webgpu" | "auto";

/** A provider sessions actually run on ("auto" resolves to one of these). */
export type ResolvedExecutionProvider = "cpu" | "cuda" | "webgpu";

/**
 * Host↔device copies at the session boundary since the last reset: every host tensor fed to or returned by a
 * session of a GPU provider crosses once (ONNX Runtime copies it in or out), device tensors do not. All zero
 * on the CPU provider. Copies ONNX Runtime inserts inside a graph around nodes it left on the CPU are not
 * counted here (node-placement.ts lists those per model).
 */
export interface TransferStats {
  readonly toDevice: number;
  readonly toDeviceBytes: number;
  readonly toHost: number;
  readonly toHostBytes: number;
}

export interface RuntimeStats {
  /** Number of session.run calls since the last reset. */
  readonly runCalls: number;
  /** Milliseconds spent inside session.run since the last reset. */
  readonly runMs: number;
  readonly transfers: TransferStats;
}

export interface OnnxRuntime {
  /** The provider sessions actually run on ("auto" resolves to one of these). */
  readonly executionProvider: ResolvedExecutionProvider;
  /** The provider with, for WebGPU, its adapter: what runs store and the CLIs print (`formatDevice`). */
  readonly device: DeviceInfo;
  readonly intraOpThreads: number;
  /**
   * Loads (or returns the cached session for) an ONNX file; `name` appears in error messages. Only regular
   * files up to ORT_MAX_MODEL_BYTES are read; loading is bounded by ORT_LOAD_TIMEOUT_MS and by `signal`
   * (default: the enclosing `withOnnxSignal` scope).
   */
  load(path: string, options?: LoadOptions): Promise<OnnxModel>;
  stats(): RuntimeStats;
  resetStats(): void;
}
