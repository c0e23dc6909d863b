/**
 * What the worker needs from an executor: the one seam between run bookkeeping (queue, database, events,
 * artifacts) and the DNO loop. The embedded worker and a scaled-out worker process call the same port, and
 * `dno-executor.ts` adapts server/executor's loop to it.
 */
import type { GraphDocument } from "@/nodes";
import type { PrMeter } from "@/server/dno/guards/pr-calibration";
import type { Rgb8Image } from "@/server/models/image";

/** Metrics of one finished iteration (server/dno's IterationMetrics, as a RunStep row stores them). */
export interface IterationMetricsRecord {
  iteration: number;
  /** Per reward node id, the unweighted score. */
  rewards: Record<string, number>;
  /** Per guard node id, its value and whether it fired (penalized, projected, stopped) this iteration. */
  guards: Record<string, { value: number; fired: boolean; change?: number }>;
  /** Probability-regularization value (the reward-hacking meter), or null without a PR guard. */
  pr: number | null;
  /** The calibrated meter (percentile, band, chart thresholds); absent from older runs. */
  prMeter?: PrMeter | null;
  objective: number;
  gradNorm: number;
  ms: Record<string, number>;
}

export interface ExecutorIteration {
  metrics: IterationMetricsRecord;
  /** The picture this iteration produced (first image of the batch). */
  image: Rgb8Image;
  /**
   * State to continue from AFTER this iteration (noise + optimizer state), already encoded; null when the
   * executor skips checkpointing this iteration (every K).
   */
  checkpoint: Uint8Array | null;
}

export interface ExecuteRequest {
  runId: string;
  document: GraphDocument;
  signal: AbortSignal;
  /** Continue after a previous attempt: the checkpoint bytes and the iteration they were written after. */
  resume: { checkpoint: Uint8Array; afterIteration: number } | null;
  /** Awaited before the next iteration starts, so persistence applies back-pressure. */
  onIteration(report: ExecutorIteration): Promise<void>;
  onLog?(entry: { level: "info" | "warning" | "error"; message: string; nodeId?: string }): void;
}

export interface ExecuteResult {
  /** Iterations done in total (including those before a resume). */
  iterations: number;
  /** A guard (early stop, keeper floor in stop mode) ended the loop before the planned count. */
  stoppedEarly: boolean;
}

export interface RunExecutor {
  /** Which device this executor computes on ("cpu", "cuda:0"): runs are queued per device. */
  readonly device: string;
  execute(request: ExecuteRequest): Promise<ExecuteResult>;
}

/** An error the worker should attach to a node: the executor's typed errors carry `nodeId`. */
export function errorNodeIdOf(error: unknown): string | null {
  if (typeof error === "object" && error !== null && "nodeId" in error) {
    const nodeId = (error as { nodeId: unknown }).nodeId;
    if (typeof nodeId === "string" && nodeId !== "") return nodeId;
  }
  return null;
}
