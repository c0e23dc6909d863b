/**
 * Makes an error message fit for a user: no absolute server paths (a file keeps only its name), no ONNX
 * Runtime source locations or C++ signatures, no stack frames, bounded length. Used wherever an error becomes
 * a message a person reads (the tRPC error formatter, a run's recorded failure); the full original goes to the
 * server log instead.
 */

const MAX_MESSAGE_LENGTH = 600;

/** `/onnxruntime_src/onnxruntime/core/framework/op_kernel.cc:83 virtual OrtValue* onnxruntime::…(int) const` */
const NATIVE_SOURCE_LOCATION =
  /\s*\S*\.(?:cc|cpp|cxx|c|h|hpp):\d+(?::\d+)?(?:\s+(?:virtual\s+)?[\w:<>,*&~ ]*?[\w:~]+\([^()]*\)(?:\s*const)?)?/g;

/** Absolute POSIX paths of two or more segments (file:// URLs too) and Windows drive paths. */
const ABSOLUTE_PATH =
  /(^|[\s'"`(=[,])(?:file:\/\/)?((?:\/[^\s'"`()[\],:;]+){2,}\/?|[A-Za-z]:\\[^\s'"`()[\],;]+)/g;

const STACK_FRAME = /\n\s+at [^\n]*/g;

function baseNameOf(path: string): string {
  const parts = path.split(/[\\/]/).filter((part) => part !== "");
  return parts[parts.length - 1] ?? "";
}

export function sanitizeErrorMessage(message: string): string {
  let text = message.replace(STACK_FRAME, "");
  text = text.replace(NATIVE_SOURCE_LOCATION, "");
  text = text.replace(
    ABSOLUTE_PATH,
    (_match, before: string, path: string) => `${before}${baseNameOf(path)}`,
  );
  text = text.replace(/[ \t]{2,}/g, " ").trim();
  if (text.length > MAX_MESSAGE_LENGTH) text = `${text.slice(0, MAX_MESSAGE_LENGTH - 1)}…`;
  return text === "" ? "The operation failed." : text;
}

/** JavaScript's own failures (a bug, not the user's input): their text means nothing to a user. */
export function isJavaScriptInternalError(error: unknown): boolean {
  return (
    error instanceof TypeError ||
    error instanceof RangeError ||
    error instanceof ReferenceError ||
    error instanceof SyntaxError ||
    error instanceof EvalError
  );
}
