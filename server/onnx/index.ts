export { readOnnxConfig, type OnnxConfig } from "./config";
export { ExecutionProviderUnavailableError, OnnxError, OnnxFeedError, type OnnxErrorCode } from "./errors";
export { checkFeeds, formatShape } from "./feeds";
export { createOnnxRuntime, fileSha256, getOnnxRuntime, sessionCreationCount } from "./runtime";
export type {
  BoundRun,
  ElementType,
  ExecutionProviderChoice,
  HostTensor,
  HostTensorType,
  OnnxModel,
  OnnxRuntime,
  RunOptions,
  RuntimeStats,
  TensorSpec,
} from "./types";
