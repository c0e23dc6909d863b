/**
 * ONNX Runtime configuration from the environment, validated once:
 * - ORT_EXECUTION_PROVIDER: cpu (default) | cuda | auto (cuda when it loads, otherwise cpu)
 * - ORT_THREADS: intra-op thread count (default: ONNX Runtime's own choice, one per physical core)
 */
import { z } from "zod";
import { OnnxError } from "./errors";
import type { ExecutionProviderChoice } from "./types";

export interface OnnxConfig {
  readonly executionProvider: ExecutionProviderChoice;
  /** 0 lets ONNX Runtime choose. */
  readonly intraOpThreads: number;
}

const envSchema = z.object({
  ORT_EXECUTION_PROVIDER: z.enum(["cpu", "cuda", "auto"]).default("cpu"),
  ORT_THREADS: z.coerce.number().int().min(0).max(1024).default(0),
});

export function readOnnxConfig(env: Readonly<Record<string, string | undefined>> = process.env): OnnxConfig {
  const parsed = envSchema.safeParse({
    ORT_EXECUTION_PROVIDER: env.ORT_EXECUTION_PROVIDER?.trim().toLowerCase() || undefined,
    ORT_THREADS: env.ORT_THREADS?.trim() || undefined,
  });
  if (!parsed.success) {
    const details = parsed.error.issues
      .map((issue) => `${issue.path.join(".")}: ${issue.message}`)
      .join("; ");
    throw new OnnxError(
      "ONNX_CONFIG_INVALID",
      `Invalid ONNX Runtime configuration (${details}). ORT_EXECUTION_PROVIDER must be cpu, cuda or auto; ` +
        "ORT_THREADS must be a whole number (0 = automatic).",
    );
  }
  return { executionProvider: parsed.data.ORT_EXECUTION_PROVIDER, intraOpThreads: parsed.data.ORT_THREADS };
}
