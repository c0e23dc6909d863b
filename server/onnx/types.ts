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
  /** Runs the model after checking feeds against `inputs` (names, types, shapes). */
  run(feeds: Readonly<Record<string, HostTensor>>, options?: RunOptions): Promise<Record<string, HostTensor>>;
  /** Checks `feeds` once and binds them and the preallocated `outputs` for repeated runs. */
  bind(feeds: Readonly<Record<string, HostTensor>>, outputs: Readonly<Record<string, HostTensor>>): BoundRun;
}

export type ExecutionProviderChoice = "cpu" | "cuda" | "webgpu" | "auto";

/** A provider sessions actually run on ("auto" resolves to one of these). */
export type ResolvedExecutionProvider = "cpu" | "cuda" | "webgpu";

export interface RuntimeStats {
  /** Number of session.run calls since the last reset. */
  readonly runCalls: number;
  /** Milliseconds spent inside session.run since the last reset. */
  readonly runMs: number;
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
  load(path: string, options?: { name?: string; signal?: AbortSignal }): Promise<OnnxModel>;
  stats(): RuntimeStats;
  resetStats(): void;
}
