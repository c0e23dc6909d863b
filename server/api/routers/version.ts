import { z } from "zod";
import { diffVersions } from "../../services/diff/diff-versions";
import { getVersion } from "../../services/versions/get-version";
import { listVersions } from "../../services/versions/list-versions";
import { restoreVersion } from "../../services/versions/restore-version";
import { createTRPCRouter, publicProcedure } from "../trpc";
import { recordIdSchema } from "./schemas";

export const versionRouter = createTRPCRouter({
  list: publicProcedure
    .input(z.object({ workflowId: recordIdSchema }))
    .query(({ ctx, input }) => listVersions(ctx, input)),

  get: publicProcedure
    .input(z.object({ versionId: recordIdSchema }))
    .query(({ ctx, input }) => getVersion(ctx, input)),

  restore: publicProcedure
    .input(z.object({ workflowId: recordIdSchema, versionId: recordIdSchema, baseVersionId: recordIdSchema }))
    .mutation(({ ctx, input }) => restoreVersion(ctx, input)),

  /** The readable difference between two versions of one workflow. */
  diff: publicProcedure
    .input(
      z.object({ workflowId: recordIdSchema, fromVersionId: recordIdSchema, toVersionId: recordIdSchema }),
    )
    .query(({ ctx, input }) => diffVersions(ctx, input)),
});
