/**
 * Reverse-mode autodiff for ONNX models, in TypeScript (no onnxruntime import here).
 *
 *   buildVjpModel(model, { wrt: ["sample"], of: "out_sample" })
 *
 * returns a ModelProto whose inputs are the forward inputs plus `grad_<of>` (the cotangent of
 * `of`, same type and shape) and whose outputs are `grad_<wrt>` for each wrt input (plus `of`
 * itself with exposeForward). The forward graph is recomputed inside (checkpointing) and its
 * initializers are shared. getVjpModel caches built models on disk.
 */
export { getVjpModel, getVjpModelForFile, resolveCacheDir, vjpCacheKey } from "./cache";
export type { CachedVjp, VjpCacheOptions } from "./cache";
export { InvalidVjpRequestError, UnsupportedOpError, UnsupportedOpFormError } from "./errors";
export { decodeModel, encodeModel } from "./proto";
export type { ModelProto } from "./proto";
export { RULES } from "./rules";
export {
  BUILDER_VERSION,
  MIN_OPSET,
  analyzeModel,
  buildVjpIr,
  buildVjpModel,
  cotangentInputName,
  gradientOutputName,
} from "./vjp";
export type { VjpRequest } from "./vjp";
