/** The limits untrusted JSON is parsed under, from the validated environment (server/env.ts). */
import { getEnv, type ServerEnv } from "../env";
import type { UntrustedJsonLimits } from "./parse-untrusted-json";

/** A workflow file: import, PNG drop, the CLI's --workflow. */
export function workflowFileLimits(env: ServerEnv = getEnv()): UntrustedJsonLimits {
  return {
    maxBytes: env.maxImportBytes,
    maxDepth: env.maxJsonDepth,
    maxBytesVariable: "MAX_IMPORT_BYTES",
    maxDepthVariable: "MAX_JSON_DEPTH",
  };
}

/** A tRPC request body or query input. */
export function requestBodyLimits(env: ServerEnv = getEnv()): UntrustedJsonLimits {
  return {
    maxBytes: env.maxBodyBytes,
    maxDepth: env.maxJsonDepth,
    maxBytesVariable: "MAX_BODY_BYTES",
    maxDepthVariable: "MAX_JSON_DEPTH",
  };
}
