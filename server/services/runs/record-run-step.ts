/**
 * Persists one finished iteration: its image (PNG artifact), its metrics (RunStep row), optionally the
 * checkpoint to resume after it, and the run's progress counters: files first, then every row in one
 * transaction fenced on the holder (running, worker id, claim count), so a crash never leaves a RunStep
 * pointing at a missing file or a checkpoint ahead of its steps, and a worker that lost its lease records
 * nothing (CONFLICT with details.reason "lease-lost").
 * Answers whether a cancel was requested meanwhile, which is how a worker in another process learns of it.
 */
import { AppError } from "../../errors";
import type { ServiceContext } from "../context";
import { deleteArtifactFile, writeArtifactFile } from "./artifact-store";
import type { StepMetrics } from "./run-views";

export interface RecordRunStepInput {
  runId: string;
  workerId: string;
  /** The claim count the worker claimed under (its fencing token, claim-run.ts). */
  attempt?: number;
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
  const holder = {
    id: runId,
    status: "running",
    workerId: input.workerId,
    ...(input.attempt !== undefined ? { attempts: input.attempt } : {}),
  };
  const lost = () =>
    // Another worker took over (the lease expired and the run was queued again) or the run ended: this
    // worker must stop writing.
    new AppError("CONFLICT", `Run “${runId}” is no longer held by worker ${input.workerId}.`, {
      reason: "lease-lost",
    });
  if ((await ctx.db.run.count({ where: holder })) === 0) throw lost();
  // Files first (their names are fixed per iteration, so a retry overwrites them), rows after, fenced.
  const imageFile = input.image
    ? await writeArtifactFile(runId, `${String(iteration).padStart(5, "0")}.png`, input.image.png)
    : null;
  const checkpointFile = input.checkpoint
    ? await writeArtifactFile(runId, `checkpoint-${String(iteration).padStart(5, "0")}.bin`, input.checkpoint)
    : null;
  const written = await ctx.db.$transaction(async (tx) => {
    // The fence first: a write as the transaction's first statement also takes SQLite's write lock before
    // anything is read, so concurrent worker processes wait for each other instead of failing busy.
    const fence = await tx.run.updateMany({ where: holder, data: { lastHeartbeatAt: new Date() } });
    if (fence.count === 0) throw lost();
    const run = await tx.run.findFirstOrThrow({ where: { id: runId } });
    let imageArtifactId: string | null = null;
    if (imageFile && input.image) {
      const artifact = await tx.artifact.upsert({
        where: { storageKey: imageFile.storageKey },
        create: {
          runId,
          kind: "image",
          role: "iteration",
          iteration,
          mimeType: "image/png",
          width: input.image.width,
          height: input.image.height,
          ...imageFile,
        },
        update: { ...imageFile, width: input.image.width, height: input.image.height },
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
    let checkpointArtifactId: string | null = null;
    if (checkpointFile) {
      const artifact = await tx.artifact.upsert({
        where: { storageKey: checkpointFile.storageKey },
        create: {
          runId,
          kind: "checkpoint",
          role: "resume",
          iteration,
          mimeType: "application/octet-stream",
          ...checkpointFile,
        },
        update: checkpointFile,
      });
      checkpointArtifactId = artifact.id;
    }
    // Within the fenced transaction: a stale holder can never record a step.
    await tx.run.update({
      where: { id: runId },
      data: {
        iterationsDone: iteration + 1,
        bestIteration,
        bestReward,
        lastHeartbeatAt: new Date(),
        ...(checkpointArtifactId ? { checkpointArtifactId, checkpointIteration: iteration } : {}),
      },
    });
    const stepData = { metrics: JSON.stringify(metrics), imageArtifactId, elapsedMs: input.elapsedMs };
    await tx.runStep.upsert({
      where: { runId_iteration: { runId, iteration } },
      create: { runId, iteration, ...stepData },
      update: stepData,
    });
    // Only the newest checkpoint is ever resumed from; older ones (megabytes each at real scale) go.
    const stale = checkpointArtifactId
      ? await tx.artifact.findMany({
          where: { runId, kind: "checkpoint", id: { not: checkpointArtifactId } },
          select: { id: true, storageKey: true },
        })
      : [];
    if (stale.length > 0) {
      await tx.artifact.deleteMany({ where: { id: { in: stale.map((artifact) => artifact.id) } } });
    }
    return {
      imageArtifactId,
      checkpointArtifactId,
      cancelRequested: run.cancelRequestedAt !== null,
      bestIteration,
      bestReward,
      stale,
    };
  });
  await Promise.all(
    written.stale.map((artifact) => deleteArtifactFile(artifact.storageKey).catch(() => undefined)),
  );
  const { stale: _stale, ...result } = written;
  return result;
}
