/**
 * Persists one finished iteration: its image (PNG artifact), its metrics (RunStep row), optionally the
 * checkpoint to resume after it, and the run's progress counters, in that order, so that a crash between
 * writes never leaves a RunStep pointing at a missing file or a checkpoint ahead of its steps.
 * Answers whether a cancel was requested meanwhile, which is how a worker in another process learns of it.
 */
import { AppError } from "../../errors";
import type { ServiceContext } from "../context";
import { deleteArtifactFile, writeArtifactFile } from "./artifact-store";
import type { StepMetrics } from "./run-views";

export interface RecordRunStepInput {
  runId: string;
  workerId: string;
  metrics: StepMetrics;
  elapsedMs: number;
  image: { png: Uint8Array; width: number; height: number } | null;
  checkpoint: Uint8Array | null;
}

export interface RecordRunStepResult {
  imageArtifactId: string | null;
  checkpointArtifactId: string | null;
  cancelRequested: boolean;
  bestIteration: number | null;
  bestReward: number | null;
}

export async function recordRunStep(
  ctx: ServiceContext,
  input: RecordRunStepInput,
): Promise<RecordRunStepResult> {
  const { runId, metrics } = input;
  const iteration = metrics.iteration;
  const run = await ctx.db.run.findUnique({ where: { id: runId } });
  if (run?.status !== "running" || run.workerId !== input.workerId) {
    // Another worker took over (or the run was recovered as interrupted): this worker must stop writing.
    throw new AppError("CONFLICT", `Run “${runId}” is no longer held by worker ${input.workerId}.`);
  }
  let imageArtifactId: string | null = null;
  if (input.image) {
    const file = await writeArtifactFile(runId, `${String(iteration).padStart(5, "0")}.png`, input.image.png);
    const artifact = await ctx.db.artifact.upsert({
      where: { storageKey: file.storageKey },
      create: {
        runId,
        kind: "image",
        role: "iteration",
        iteration,
        mimeType: "image/png",
        width: input.image.width,
        height: input.image.height,
        ...file,
      },
      update: { ...file, width: input.image.width, height: input.image.height },
    });
    imageArtifactId = artifact.id;
  }
  const objective = metrics.objective;
  const improves =
    objective !== null &&
    Number.isFinite(objective) &&
    (run.bestReward === null || objective > run.bestReward);
  const bestIteration = improves ? iteration : run.bestIteration;
  const bestReward = improves ? objective : run.bestReward;
  const stepData = { metrics: JSON.stringify(metrics), imageArtifactId, elapsedMs: input.elapsedMs };
  await ctx.db.runStep.upsert({
    where: { runId_iteration: { runId, iteration } },
    create: { runId, iteration, ...stepData },
    update: stepData,
  });
  let checkpointArtifactId: string | null = null;
  if (input.checkpoint) {
    const file = await writeArtifactFile(
      runId,
      `checkpoint-${String(iteration).padStart(5, "0")}.bin`,
      input.checkpoint,
    );
    const artifact = await ctx.db.artifact.upsert({
      where: { storageKey: file.storageKey },
      create: {
        runId,
        kind: "checkpoint",
        role: "resume",
        iteration,
        mimeType: "application/octet-stream",
        ...file,
      },
      update: file,
    });
    checkpointArtifactId = artifact.id;
  }
  const updated = await ctx.db.run.update({
    where: { id: runId },
    data: {
      iterationsDone: iteration + 1,
      bestIteration,
      bestReward,
      lastHeartbeatAt: new Date(),
      ...(checkpointArtifactId ? { checkpointArtifactId, checkpointIteration: iteration } : {}),
    },
  });
  if (checkpointArtifactId) {
    // Only the newest checkpoint is ever resumed from; older ones (megabytes each at real scale) go.
    const stale = await ctx.db.artifact.findMany({
      where: { runId, kind: "checkpoint", id: { not: checkpointArtifactId } },
      select: { id: true, storageKey: true },
    });
    if (stale.length > 0) {
      await ctx.db.artifact.deleteMany({ where: { id: { in: stale.map((artifact) => artifact.id) } } });
      await Promise.all(
        stale.map((artifact) => deleteArtifactFile(artifact.storageKey).catch(() => undefined)),
      );
    }
  }
  return {
    imageArtifactId,
    checkpointArtifactId,
    cancelRequested: updated.cancelRequestedAt !== null,
    bestIteration,
    bestReward,
  };
}
