/**
 * A workflow's comment threads (needs view access), optionally only those on one run (and its iterations),
 * one proposal or one node (and its parameters). Open threads come first, newest first; replies in the order
 * they were written. Each thread carries its target's label and, for an iteration, that iteration's image.
 */
import type { Prisma } from "../../db/generated/prisma/client";
import { assertWorkflowAccess } from "../authorization";
import type { ServiceContext } from "../context";
import { headDocumentOf } from "./comment-target";
import { type CommentThreadView, describeTarget, toCommentView } from "./comment-views";

export interface ListCommentsInput {
  workflowId: string;
  runId?: string;
  proposalId?: string;
  nodeId?: string;
}

export interface CommentThreadWithLabel extends CommentThreadView {
  targetLabel: string;
}

export async function listComments(
  ctx: ServiceContext,
  input: ListCommentsInput,
): Promise<CommentThreadWithLabel[]> {
  const { workflow } = await assertWorkflowAccess(ctx, input.workflowId, "view");
  const where: Prisma.CommentWhereInput = {
    workflowId: workflow.id,
    parentId: null,
    ...(input.runId !== undefined ? { runId: input.runId } : {}),
    ...(input.proposalId !== undefined ? { proposalId: input.proposalId } : {}),
    ...(input.nodeId !== undefined ? { nodeId: input.nodeId } : {}),
  };
  const roots = await ctx.db.comment.findMany({
    where,
    orderBy: { createdAt: "desc" },
    take: 500,
    include: {
      author: { select: { id: true, name: true } },
      replies: { orderBy: { createdAt: "asc" }, include: { author: { select: { id: true, name: true } } } },
    },
  });
  // A deleted first comment with no replies left is noise: drop it.
  const visible = roots.filter((root) => !root.deletedAt || root.replies.some((reply) => !reply.deletedAt));

  const resolverIds = [...new Set(visible.flatMap((root) => (root.resolvedById ? [root.resolvedById] : [])))];
  const resolvers = await ctx.db.user.findMany({
    where: { id: { in: resolverIds } },
    select: { id: true, name: true },
  });
  const names = new Map(resolvers.map((user) => [user.id, user.name]));

  const document = visible.some((root) => root.nodeId) ? await headDocumentOf(ctx, workflow) : null;
  const runIds = [...new Set(visible.flatMap((root) => (root.runId ? [root.runId] : [])))];
  const runs = await ctx.db.run.findMany({
    where: { id: { in: runIds }, workflowId: workflow.id },
    select: { id: true, workflowVersion: { select: { number: true } } },
  });
  const runNumbers = new Map(runs.map((run) => [run.id, run.workflowVersion.number]));
  const iterationKeys = visible.filter((root) => root.runId && root.iteration !== null);
  const steps =
    iterationKeys.length === 0
      ? []
      : await ctx.db.runStep.findMany({
          where: {
            OR: iterationKeys.map((root) => ({
              runId: root.runId as string,
              iteration: root.iteration as number,
            })),
          },
          select: { runId: true, iteration: true, imageArtifactId: true },
        });
  const images = new Map(steps.map((step) => [`${step.runId}:${step.iteration}`, step.imageArtifactId]));

  const actorId = ctx.actor.userId;
  const threads = visible.map((root): CommentThreadWithLabel => {
    const view = toCommentView(root, actorId, names);
    return {
      ...view,
      replies: root.replies.map((reply) => toCommentView(reply, actorId, names)),
      imageArtifactId:
        root.runId && root.iteration !== null
          ? (images.get(`${root.runId}:${root.iteration}`) ?? null)
          : null,
      targetLabel: describeTarget(view.target, {
        document,
        runVersionNumber: root.runId ? (runNumbers.get(root.runId) ?? null) : null,
      }),
    };
  });
  // Open threads first; within each group the newest first (the query's order, kept by a stable sort).
  return threads.sort((a, b) => Number(a.resolved) - Number(b.resolved));
}
