import { z } from "zod";
import { graphDocumentInputSchema } from "@/nodes";
import { createWorkflow } from "../../services/workflows/create-workflow";
import { countActiveRuns } from "../../services/workflows/count-active-runs";
import { deleteWorkflow } from "../../services/workflows/delete-workflow";
import { duplicateWorkflow } from "../../services/workflows/duplicate-workflow";
import { exportWorkflow } from "../../services/workflows/export-workflow";
import { getWorkflow } from "../../services/workflows/get-workflow";
import { importWorkflow } from "../../services/workflows/import-workflow";
import { listDeletedWorkflows } from "../../services/workflows/list-deleted-workflows";
import { listWorkflows } from "../../services/workflows/list-workflows";
import { renameWorkflow } from "../../services/workflows/rename-workflow";
import { restoreWorkflow } from "../../services/workflows/restore-workflow";
import { saveWorkflow } from "../../services/workflows/save-workflow";
import { publishRunEvent } from "../../worker/run-events";
import { createTRPCRouter, publicProcedure } from "../trpc";
import {
  importTextSchema,
  recordIdSchema,
  versionMessageSchema,
  workflowDescriptionSchema,
  workflowNameSchema,
} from "./schemas";

export const workflowRouter = createTRPCRouter({
  list: publicProcedure.query(({ ctx }) => listWorkflows(ctx)),

  get: publicProcedure
    .input(z.object({ workflowId: recordIdSchema }))
    .query(({ ctx, input }) => getWorkflow(ctx, input)),

  create: publicProcedure
    .input(
      z.object({
        name: workflowNameSchema,
        description: workflowDescriptionSchema.optional(),
        document: graphDocumentInputSchema.optional(),
      }),
    )
    .mutation(({ ctx, input }) => createWorkflow(ctx, input)),

  save: publicProcedure
    .input(
      z.object({
        workflowId: recordIdSchema,
        baseVersionId: recordIdSchema,
        document: graphDocumentInputSchema,
        message: versionMessageSchema.default(""),
      }),
    )
    .mutation(({ ctx, input }) => saveWorkflow(ctx, input)),

  rename: publicProcedure
    .input(
      z.object({
        workflowId: recordIdSchema,
        name: workflowNameSchema,
        description: workflowDescriptionSchema.optional(),
      }),
    )
    .mutation(({ ctx, input }) => renameWorkflow(ctx, input)),

  duplicate: publicProcedure
    .input(z.object({ workflowId: recordIdSchema, name: workflowNameSchema.optional() }))
    .mutation(({ ctx, input }) => duplicateWorkflow(ctx, input)),

  /** Moves it to the trash and cancels its queued and running runs (the list page asks first). */
  delete: publicProcedure.input(z.object({ workflowId: recordIdSchema })).mutation(async ({ ctx, input }) => {
    const result = await deleteWorkflow(ctx, input);
    // As run.cancel does: the embedded worker stops at once, a worker elsewhere sees the row.
    for (const runId of result.cancelledRunIds) publishRunEvent({ type: "cancel-requested", runId });
    return { workflowId: result.workflowId, cancelledRuns: result.cancelledRunIds.length };
  }),

  activeRuns: publicProcedure
    .input(z.object({ workflowId: recordIdSchema }))
    .query(({ ctx, input }) => countActiveRuns(ctx, input)),

  listDeleted: publicProcedure.query(({ ctx }) => listDeletedWorkflows(ctx)),

  restore: publicProcedure
    .input(z.object({ workflowId: recordIdSchema }))
    .mutation(({ ctx, input }) => restoreWorkflow(ctx, input)),

  export: publicProcedure
    .input(z.object({ workflowId: recordIdSchema, versionId: recordIdSchema.optional() }))
    .query(({ ctx, input }) => exportWorkflow(ctx, input)),

  import: publicProcedure
    .input(
      z.object({
        text: importTextSchema,
        fileName: z.string().max(255).optional(),
        name: workflowNameSchema.optional(),
      }),
    )
    .mutation(({ ctx, input }) => importWorkflow(ctx, input)),
});
