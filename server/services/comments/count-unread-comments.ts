/**
 * Unread comments per workflow for the list page's cards: comments by others, not deleted, written after the
 * person last opened the workflow's comments (CommentReadMarker). Workflows the actor cannot open count 0
 * and are left out.
 */
import type { Prisma } from "../../db/generated/prisma/client";
import { accessibleWorkflowFilter, assertSignedIn } from "../authorization";
import type { ServiceContext } from "../context";

export function unreadWhere(actorId: string, readAt: Date | null): Prisma.CommentWhereInput {
  return {
    authorId: { not: actorId },
    deletedAt: null,
    ...(readAt ? { createdAt: { gt: readAt } } : {}),
  };
}

export async function countUnreadComments(
  ctx: ServiceContext,
  input: { workflowIds: readonly string[] },
): Promise<Record<string, number>> {
  assertSignedIn(ctx.actor);
  const actorId = ctx.actor.userId;
  if (actorId === null || input.workflowIds.length === 0) return {};
  const workflows = await ctx.db.workflow.findMany({
    where: { id: { in: [...input.workflowIds] }, ...accessibleWorkflowFilter(ctx.actor, "view") },
    select: { id: true },
  });
  const markers = await ctx.db.commentReadMarker.findMany({
    where: { userId: actorId, workflowId: { in: workflows.map((workflow) => workflow.id) } },
  });
  const readAt = new Map(markers.map((marker) => [marker.workflowId, marker.readAt]));
  const result: Record<string, number> = {};
  for (const workflow of workflows) {
    const count = await ctx.db.comment.count({
      where: { workflowId: workflow.id, ...unreadWhere(actorId, readAt.get(workflow.id) ?? null) },
    });
    if (count > 0) result[workflow.id] = count;
  }
  return result;
}
