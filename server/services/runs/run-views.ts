/** What run services hand out: plain objects; JSON columns parsed and checked with zod. */
import { z } from "zod";
import type { GraphDocument } from "@/nodes";
import type { Run, RunStep } from "../../db/generated/prisma/client";
import { readStoredDocument } from "../workflows/graph-document";

export const RUN_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled", "interrupted"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/** Statuses a run never leaves by itself. */
export const FINISHED_RUN_STATUSES: readonly RunStatus[] = [
  "succeeded",
  "failed",
  "cancelled",
  "interrupted",
];

export function isRunStatus(value: string): value is RunStatus {
  return (RUN_STATUSES as readonly string[]).includes(value);
}

export const stepMetricsSchema = z.object({
  iteration: z.number(),
  rewards: z.record(z.string(), z.number().nullable()),
  guards: z.record(
    z.string(),
    z.object({
      value: z.number().nullable(),
      fired: z.boolean(),
      /** How much the guard changed the update (a share, METHOD.md §5); runs recorded before it have none. */
      change: z.number().nullable().optional(),
    }),
  ),
  pr: z.number().nullable(),
  /** The calibrated meter (METHOD.md §5); runs recorded before it have none. */
  prMeter: z
    .object({
      percentile: z.number(),
      band: z.enum(["typical", "drifting", "likely-hacking"]),
      // JSON turns NaN/Infinity into null.
      driftingFrom: z.number().nullable(),
      firesFrom: z.number().nullable(),
    })
    .nullable()
    .optional(),
  objective: z.number().nullable(),
  gradNorm: z.number().nullable(),
  ms: z.record(z.string(), z.number()).default({}),
});
export type StepMetrics = z.infer<typeof stepMetricsSchema>;

/** What the executor was given, frozen at submission so the run can be reproduced and resumed. */
export const runConfigSchema = z.object({
  document: z.unknown(),
  versionNumber: z.number(),
  optimizerNodeId: z.string().nullable(),
  iterations: z.number(),
  checkpointEvery: z.number().int().min(1),
  submittedAt: z.string(),
});
export type RunConfig = z.infer<typeof runConfigSchema>;

export interface RunSummary {
  id: string;
  workflowId: string;
  workflowVersionId: string;
  versionNumber: number;
  status: RunStatus;
  error: string | null;
  errorNodeId: string | null;
  revisesRunId: string | null;
  /** Set on a run of a proposal (a draft branched from this version, not a version itself). */
  proposalId: string | null;
  device: string | null;
  iterationsPlanned: number | null;
  iterationsDone: number;
  bestIteration: number | null;
  bestReward: number | null;
  checkpointIteration: number | null;
  cancelRequested: boolean;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Wall time spent so far (running) or in total (finished), ms. */
  durationMs: number | null;
}

export interface RunStepView {
  iteration: number;
  metrics: StepMetrics;
  imageArtifactId: string | null;
  elapsedMs: number;
}

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export function toRunSummary(
  run: Run & { workflowVersion: { number: number } },
  now = new Date(),
): RunSummary {
  const status = isRunStatus(run.status) ? run.status : "failed";
  const end = run.finishedAt ?? (status === "running" ? now : null);
  return {
    id: run.id,
    workflowId: run.workflowId,
    workflowVersionId: run.workflowVersionId,
    versionNumber: run.workflowVersion.number,
    status,
    error: run.error,
    errorNodeId: run.errorNodeId,
    revisesRunId: run.revisesRunId,
    proposalId: run.proposalId,
    device: run.device,
    iterationsPlanned: run.iterationsPlanned,
    iterationsDone: run.iterationsDone,
    bestIteration: run.bestIteration,
    bestReward: run.bestReward,
    checkpointIteration: run.checkpointIteration,
    cancelRequested: run.cancelRequestedAt !== null,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    durationMs: run.startedAt && end ? end.getTime() - run.startedAt.getTime() : null,
  };
}

export function toRunStepView(step: RunStep): RunStepView {
  const parsed = stepMetricsSchema.safeParse(parseJson(step.metrics));
  return {
    iteration: step.iteration,
    metrics: parsed.success
      ? parsed.data
      : {
          iteration: step.iteration,
          rewards: {},
          guards: {},
          pr: null,
          objective: null,
          gradNorm: null,
          ms: {},
        },
    imageArtifactId: step.imageArtifactId,
    elapsedMs: step.elapsedMs,
  };
}

export function readRunConfig(run: Pick<Run, "id" | "config">): RunConfig & { document: GraphDocument } {
  const parsed = runConfigSchema.parse(parseJson(run.config));
  const document = readStoredDocument(JSON.stringify(parsed.document), `run “${run.id}”`);
  return { ...parsed, document };
}

export function parseJsonRecord(text: string | null): Record<string, unknown> {
  const value = parseJson(text);
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
