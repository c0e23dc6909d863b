/**
 * Typed errors of the ONNX layer. Each names the model, the input and what to do, so that the message can
 * be shown to a user as is.
 */

export type OnnxErrorCode =
  | "ONNX_CONFIG_INVALID"
  | "ONNX_EP_UNAVAILABLE"
  | "ONNX_MODEL_LOAD_FAILED"
  | "ONNX_MODEL_FILE_REFUSED"
  | "ONNX_TIMEOUT"
  | "ONNX_CANCELLED"
  | "ONNX_FEED_MISSING"
  | "ONNX_FEED_UNKNOWN"
  | "ONNX_FEED_TYPE"
  | "ONNX_FEED_SHAPE"
  | "ONNX_RUN_FAILED"
  | "ONNX_DEVICE_MEMORY";

export class OnnxError extends Error {
  readonly code: OnnxErrorCode;
  constructor(code: OnnxErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "OnnxError";
    this.code = code;
  }
}

/** The configured execution provider cannot be loaded on this host. */
export class ExecutionProviderUnavailableError extends OnnxError {
  readonly provider: string;
  /** Why it cannot load, without the advice (auto quotes it when it falls back). */
  readonly detail: string;
  constructor(provider: string, detail: string, options?: { cause?: unknown; advice?: string }) {
    super(
      "ONNX_EP_UNAVAILABLE",
      `ONNX Runtime execution provider "${provider}" is not available on this host (${detail}). ` +
        (options?.advice ??
          (provider === "cuda"
            ? "Install the CUDA build of onnxruntime-node on a host with an NVIDIA GPU, CUDA 12 and cuDNN 9: " +
              "`ONNXRUNTIME_NODE_INSTALL=cuda12 npm install onnxruntime-node`, " +
              "or set ORT_EXECUTION_PROVIDER=webgpu (the GPU through its Vulkan driver, no download), cpu, or auto " +
              "(CUDA, else a hardware WebGPU adapter, else the CPU)."
            : "Set ORT_EXECUTION_PROVIDER=cpu.")),
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "ExecutionProviderUnavailableError";
    this.provider = provider;
    this.detail = detail;
  }
}

/** A feed does not match the model's declared inputs. */
export class OnnxFeedError extends OnnxError {
  readonly model: string;
  readonly input: string;
  readonly expected: string;
  readonly given: string;
  constructor(
    code: "ONNX_FEED_MISSING" | "ONNX_FEED_UNKNOWN" | "ONNX_FEED_TYPE" | "ONNX_FEED_SHAPE",
    details: { model: string; input: string; expected: string; given: string; message: string },
  ) {
    super(code, details.message);
    this.name = "OnnxFeedError";
    this.model = details.model;
    this.input = details.input;
    this.expected = details.expected;
    this.given = details.given;
  }
}
