export { withOnnxSignal } from "./abort-scope";
export {
  DEFAULT_ONNX_LIMITS,
  readOnnxConfig,
  readOnnxLimits,
  type OnnxConfig,
  type OnnxLimits,
} from "./config";
export { ExecutionProviderUnavailableError, OnnxError, OnnxFeedError, type OnnxErrorCode } from "./errors";
export { checkFeeds, formatShape } from "./feeds";
export { type AdapterInfo, formatAdapter } from "./gpu-host";
export { type DeviceInfo, formatDevice } from "./providers";
export { createOnnxRuntime, fileSha256, getOnnxRuntime, sessionCreationCount } from "./runtime";
export type {
  BoundRun,
  DeviceTensor,
  ElementType,
  ExecutionProviderChoice,
  HostTensor,
  HostTensorType,
  LoadOptions,
  OnnxModel,
  OnnxRuntime,
  OnnxValue,
  ResolvedExecutionProvider,
  RunOptions,
  RuntimeStats,
  TensorSpec,
  TransferStats,
} from "./types";
