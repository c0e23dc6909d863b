import type { GraphDocument } from "@/nodes";
import type { ServiceContext } from "../context";
import { loadRun } from "./load-run";
import { memoryModeFromLog, type RunMemoryView } from "./run-memory-mode";
import {
  parseJsonRecord,
  readRunConfig,
  type RunStepView,
  type RunSummary,
  toRunStepView,
  toRunSummary,
} from "./run-views";

export interface RunArtifactView {
  id: string;
  kind: string;
  role: string | null;
  iteration: number | null;
  mimeType: string;
  byteSize: number;
  width: number | null;
  height: number | null;
}

export interface RunLogView {
  id: string;
  nodeId: string | null;
  level: string;
  message: string;
  createdAt: Date;
}

export interface RunDetail extends RunSummary {
  workflowName: string;
  document: GraphDocument;
  modelHashes: Record<string, unknown>;
  seeds: unknown;
  checkpointEvery: number;
  steps: RunStepView[];
  /** Images that stand for the run: the first iteration's, the best one's and the last one's. */
  images: { initial: string | null; best: string | null; final: string | null };
  artifacts: RunArtifactView[];
  log: RunLogView[];
  /** The memory mode the run used and why, from its log (null before the run decided one). */
  memory: RunMemoryView | null;
}

export async function getRun(ctx: ServiceContext, input: { runId: string }): Promise<RunDetail> {
  const run = await loadRun(ctx, input.runId, "view");
  const [steps, artifacts, log] = await Promise.all([
    ctx.db.runStep.findMany({ where: { runId: run.id }, orderBy: { iteration: "asc" } }),
    ctx.db.artifact.findMany({
      where: { runId: run.id, kind: "image" },
      orderBy: [{ iteration: "asc" }, { createdAt: "asc" }],
    }),
    ctx.db.runLogEntry.findMany({ where: { runId: run.id }, orderBy: { createdAt: "asc" }, take: 2000 }),
  ]);
  const config = readRunConfig(run);
  const stepViews = steps.map(toRunStepView);
  const imageOf = (iteration: number | null | undefined): string | null =>
    iteration === null || iteration === undefined
      ? null
      : (stepViews.find((step) => step.iteration === iteration)?.imageArtifactId ?? null);
  const seedsValue: unknown = run.seeds ? JSON.parse(run.seeds) : null;
  return {
    ...toRunSummary(run),
    workflowName: run.workflow.name,
    document: config.document,
    modelHashes: parseJsonRecord(run.modelHashes),
    seeds: seedsValue,
    checkpointEvery: config.checkpointEvery,
    steps: stepViews,
    images: {
      initial: imageOf(stepViews[0]?.iteration),
      best: imageOf(run.bestIteration),
      final: imageOf(stepViews.at(-1)?.iteration),
    },
    artifacts: artifacts.map((artifact) => ({
      id: artifact.id,
      kind: artifact.kind,
      role: artifact.role,
      iteration: artifact.iteration,
      mimeType: artifact.mimeType,
      byteSize: artifact.byteSize,
      width: artifact.width,
      height: artifact.height,
    })),
    memory: memoryModeFromLog(log.map((entry) => entry.message)),
    log: log.map((entry) => ({
      id: entry.id,
      nodeId: entry.nodeId,
      level: entry.level,
      message: entry.message,
      createdAt: entry.createdAt,
    })),
  };
}
