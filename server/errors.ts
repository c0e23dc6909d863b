/**
 * Typed application errors (documenso's AppError idea). Services throw AppError with a code and, where it
 * helps the user, the issues per node and parameter; the tRPC layer maps codes to transport codes in one
 * place (TRPC_CODE_BY_APP_CODE) and its error formatter hands `appCode` and `issues` to the client.
 */

export const APP_ERROR_CODES = [
  "NOT_FOUND",
  // The record exists but its stored file is missing or damaged (HTTP 410).
  "GONE",
  "CONFLICT",
  "VALIDATION",
  "PAYLOAD_TOO_LARGE",
  "UNSUPPORTED_VERSION",
  "UNSUPPORTED_FORMAT",
  "FORBIDDEN",
  "UNAUTHORIZED",
  "INTERNAL",
] as const;

export type AppErrorCode = (typeof APP_ERROR_CODES)[number];

/** One problem, located as precisely as the checker knows: a node, one of its params or ports, a path. */
export interface AppIssue {
  message: string;
  /** Machine-readable kind, e.g. "param-out-of-range", "unknown-node-type", "malformed-json". */
  code?: string;
  nodeId?: string;
  param?: string;
  port?: string;
  edgeId?: string;
  /** JSON path inside the submitted document, e.g. ["nodes", 3, "params", "steps"]. */
  path?: (string | number)[];
  /** Position in submitted text (1-based), for malformed JSON. */
  line?: number;
  column?: number;
}

export interface AppErrorDetails {
  issues?: AppIssue[];
  /** Extra facts for the client, e.g. the current head version on a CONFLICT. */
  [key: string]: unknown;
}

export class AppError extends Error {
  override name = "AppError";
  readonly code: AppErrorCode;
  readonly details: AppErrorDetails;

  constructor(
    code: AppErrorCode,
    message: string,
    details: AppErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
    this.details = details;
  }

  get issues(): AppIssue[] {
    return this.details.issues ?? [];
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** The tRPC code each application code travels as (tRPC's TRPC_ERROR_CODE_KEY values). */
export const TRPC_CODE_BY_APP_CODE = {
  NOT_FOUND: "NOT_FOUND",
  // tRPC has no 410; the artifact route answers 410 itself.
  GONE: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  VALIDATION: "BAD_REQUEST",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  UNSUPPORTED_VERSION: "BAD_REQUEST",
  UNSUPPORTED_FORMAT: "BAD_REQUEST",
  FORBIDDEN: "FORBIDDEN",
  UNAUTHORIZED: "UNAUTHORIZED",
  INTERNAL: "INTERNAL_SERVER_ERROR",
} as const satisfies Record<AppErrorCode, string>;

export const notFound = (what: string, id: string): AppError =>
  new AppError("NOT_FOUND", `${what} “${id}” does not exist or was deleted.`, { id });
