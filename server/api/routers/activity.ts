import { z } from "zod";
import { listActivity } from "../../services/activity/list-activity";
import { createTRPCRouter, publicProcedure } from "../trpc";
import { recordIdSchema } from "./schemas";

export const activityRouter = createTRPCRouter({
  list: publicProcedure
    .input(
      z.object({
        workflowId: recordIdSchema,
        cursor: recordIdSchema.optional(),
        limit: z.int().min(1).max(100).optional(),
      }),
    )
    .query(({ ctx, input }) => listActivity(ctx, input)),
});
