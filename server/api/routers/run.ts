import { tracked } from "@trpc/server";
import { z } from "zod";
import { graphDocumentInputSchema } from "@/nodes";
import { cancelRun } from "../../services/runs/cancel-run";
import { compareRuns } from "../../services/runs/compare-runs";
import { getQueuePosition } from "../../services/runs/get-queue-position";
import { getRun } from "../../services/runs/get-run";
import { listQueuePositions } from "../../services/runs/list-queue-positions";
import { listRuns } from "../../services/runs/list-runs";
import { rerunWithChanges } from "../../services/runs/rerun-with-changes";
import { resumeRun } from "../../services/runs/resume-run";
import { startRun } from "../../services/runs/start-run";
import { announceQueuedRuns } from "../../worker/queue";
import { publishRunEvent } from "../../worker/run-events";
import { ensureEmbeddedWorker } from "../../worker/start-worker";
import { watchRun } from "../../worker/watch-run";
import { workerConfig } from "../../worker/worker-config";
import type { ServiceContext } from "../../services/context";
import { createTRPCRouter, publicProcedure } from "../trpc";
import { presumedDeadAfterMs } from "./queue-settings";
import { recordIdSchema, versionMessageSchema } from "./schemas";

/**
 * Runs are queued for a worker: make sure this process has one (unless separate worker processes are used)
 * and tell the queue (pg-boss gets the run's job; local workers wake up).
 */
async function queued<T extends { id: string } | { run: { id: string } }>(
  ctx: ServiceContext,
  result: T,
): Promise<T> {
  await ensureEmbeddedWorker();
  await announceQueuedRuns(ctx, ["run" in result ? result.run.id : result.id]);
  return result;
}

/** The queue band asked for; "high" is refused to everyone but admins (services/runs/queue-placement.ts). */
const prioritySchema = z.enum(["low", "normal", "high"]).optional();

const paramChangeSchema = z.object({
  nodeId: z.string().min(1).max(100),
  param: z.string().min(1).max(100),
  value: z.unknown(),
});

export const runRouter = createTRPCRouter({
  start: publicProcedure
    .input(
      z.union([
        z.object({ workflowId: recordIdSchema, versionId: recordIdSchema, priority: prioritySchema }),
        z.object({
          workflowId: recordIdSchema,
          baseVersionId: recordIdSchema,
          document: graphDocumentInputSchema,
          message: versionMessageSchema.optional(),
          priority: prioritySchema,
        }),
      ]),
    )
    .mutation(async ({ ctx, input }) =>
      queued(ctx, await startRun(ctx, { ...input, checkpointEvery: workerConfig().checkpointEvery })),
    ),

  cancel: publicProcedure.input(z.object({ runId: recordIdSchema })).mutation(async ({ ctx, input }) => {
    const run = await cancelRun(ctx, input);
    // The embedded worker aborts at once; a worker elsewhere notices at its next iteration.
    publishRunEvent({ type: "cancel-requested", runId: run.id });
    publishRunEvent({ type: "status", runId: run.id, status: run.status, error: null, errorNodeId: null });
    return run;
  }),

  resume: publicProcedure
    .input(z.object({ runId: recordIdSchema }))
    .mutation(async ({ ctx, input }) => queued(ctx, await resumeRun(ctx, input))),

  get: publicProcedure
    .input(z.object({ runId: recordIdSchema }))
    .query(({ ctx, input }) => getRun(ctx, input)),

  list: publicProcedure
    .input(z.object({ workflowId: recordIdSchema, limit: z.int().min(1).max(500).optional() }))
    .query(({ ctx, input }) => listRuns(ctx, input)),

  /** A queued run's place in line and estimated start (others' runs are counted, never named). */
  queuePosition: publicProcedure
    .input(z.object({ runId: recordIdSchema }))
    .query(({ ctx, input }) =>
      getQueuePosition(ctx, { runId: input.runId, presumedDeadAfterMs: presumedDeadAfterMs() }),
    ),

  /** The places of one workflow's queued runs (the runs list). */
  queue: publicProcedure
    .input(z.object({ workflowId: recordIdSchema }))
    .query(({ ctx, input }) =>
      listQueuePositions(ctx, { workflowId: input.workflowId, presumedDeadAfterMs: presumedDeadAfterMs() }),
    ),

  compare: publicProcedure
    .input(z.object({ runIds: z.array(recordIdSchema).min(2).max(8) }))
    .query(({ ctx, input }) => compareRuns(ctx, input)),

  rerun: publicProcedure
    .input(
      z.object({
        runId: recordIdSchema,
        changes: z.array(paramChangeSchema).max(200),
        message: versionMessageSchema.default(""),
      }),
    )
    .mutation(async ({ ctx, input }) => queued(ctx, await rerunWithChanges(ctx, input))),

  /** Live progress over server-sent events; the event id is the last iteration, so reconnects resume there. */
  progress: publicProcedure
    .input(z.object({ runId: recordIdSchema, lastEventId: z.string().nullish() }))
    .subscription(async function* ({ ctx, input, signal }) {
      const after = input.lastEventId ? Number.parseInt(input.lastEventId, 10) : -1;
      for await (const { lastIteration, event } of watchRun(ctx, {
        runId: input.runId,
        afterIteration: Number.isFinite(after) ? after : -1,
        ...(signal ? { signal } : {}),
      })) {
        yield tracked(String(lastIteration), event);
      }
    }),
});
