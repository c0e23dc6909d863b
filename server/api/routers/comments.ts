import { z } from "zod";
import { addComment } from "../../services/comments/add-comment";
import { MAX_COMMENT_LENGTH } from "../../services/comments/comment-views";
import { countComments } from "../../services/comments/count-comments";
import { countUnreadComments } from "../../services/comments/count-unread-comments";
import { deleteComment } from "../../services/comments/delete-comment";
import { editComment } from "../../services/comments/edit-comment";
import { listComments } from "../../services/comments/list-comments";
import { markCommentsRead } from "../../services/comments/mark-comments-read";
import { resolveComment } from "../../services/comments/resolve-comment";
import { createTRPCRouter, publicProcedure } from "../trpc";
import { recordIdSchema } from "./schemas";

const bodySchema = z
  .string()
  .trim()
  .min(1, "Write something before sending the comment")
  .max(MAX_COMMENT_LENGTH, `Comments are at most ${MAX_COMMENT_LENGTH} characters`);

const nodeIdSchema = z.string().min(1).max(100);
const paramKeySchema = z.string().min(1).max(100);

const targetSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("workflow") }),
  z.object({ kind: z.literal("node"), nodeId: nodeIdSchema }),
  z.object({ kind: z.literal("param"), nodeId: nodeIdSchema, paramKey: paramKeySchema }),
  z.object({ kind: z.literal("run"), runId: recordIdSchema }),
  z.object({ kind: z.literal("iteration"), runId: recordIdSchema, iteration: z.int().min(0).max(1_000_000) }),
  z.object({ kind: z.literal("proposal"), proposalId: recordIdSchema }),
]);

export const commentsRouter = createTRPCRouter({
  list: publicProcedure
    .input(
      z.object({
        workflowId: recordIdSchema,
        runId: recordIdSchema.optional(),
        proposalId: recordIdSchema.optional(),
        nodeId: nodeIdSchema.optional(),
      }),
    )
    .query(({ ctx, input }) => listComments(ctx, input)),

  counts: publicProcedure
    .input(z.object({ workflowId: recordIdSchema }))
    .query(({ ctx, input }) => countComments(ctx, input)),

  unreadByWorkflow: publicProcedure
    .input(z.object({ workflowIds: z.array(recordIdSchema).max(500) }))
    .query(({ ctx, input }) => countUnreadComments(ctx, input)),

  add: publicProcedure
    .input(
      z.union([
        z.object({ workflowId: recordIdSchema, target: targetSchema, body: bodySchema }),
        z.object({ workflowId: recordIdSchema, parentId: recordIdSchema, body: bodySchema }),
      ]),
    )
    .mutation(({ ctx, input }) => addComment(ctx, input)),

  edit: publicProcedure
    .input(z.object({ commentId: recordIdSchema, body: bodySchema }))
    .mutation(({ ctx, input }) => editComment(ctx, input)),

  delete: publicProcedure
    .input(z.object({ commentId: recordIdSchema }))
    .mutation(({ ctx, input }) => deleteComment(ctx, input)),

  resolve: publicProcedure
    .input(z.object({ commentId: recordIdSchema, resolved: z.boolean() }))
    .mutation(({ ctx, input }) => resolveComment(ctx, input)),

  markRead: publicProcedure
    .input(z.object({ workflowId: recordIdSchema }))
    .mutation(({ ctx, input }) => markCommentsRead(ctx, input)),
});
