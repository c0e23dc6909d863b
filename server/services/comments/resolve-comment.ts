import type { ServiceContext } from "../context";
import { type CommentView, toCommentView } from "./comment-views";
import { loadComment } from "./load-comment";

/**
 * Resolves or reopens a thread (anyone with comment access, not only its author). Given a reply, acts on the
 * reply's thread.
 */
export async function resolveComment(
  ctx: ServiceContext,
  input: { commentId: string; resolved: boolean },
): Promise<CommentView> {
  const { comment } = await loadComment(ctx, input.commentId, "comment");
  const rootId = comment.parentId ?? comment.id;
  const updated = await ctx.db.comment.update({
    where: { id: rootId },
    data: input.resolved
      ? { resolvedAt: new Date(), resolvedById: ctx.actor.userId }
      : { resolvedAt: null, resolvedById: null },
    include: { author: { select: { id: true, name: true } } },
  });
  const names = new Map<string, string>();
  if (updated.resolvedById) {
    const resolver = await ctx.db.user.findUnique({ where: { id: updated.resolvedById } });
    if (resolver) names.set(resolver.id, resolver.name);
  }
  return toCommentView(updated, ctx.actor.userId, names);
}
