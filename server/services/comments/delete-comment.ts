import type { ServiceContext } from "../context";
import { type CommentView, toCommentView } from "./comment-views";
import { assertOwnComment, loadComment } from "./load-comment";

/**
 * Deletes one's own comment. Soft: the row stays so a thread keeps its shape and replies ("deleted" is shown
 * in its place), but the text is erased.
 */
export async function deleteComment(ctx: ServiceContext, input: { commentId: string }): Promise<CommentView> {
  const { comment } = await loadComment(ctx, input.commentId, "comment");
  assertOwnComment(ctx, comment, "delete");
  const updated = await ctx.db.comment.update({
    where: { id: comment.id },
    data: { body: "", deletedAt: new Date() },
    include: { author: { select: { id: true, name: true } } },
  });
  return toCommentView(updated, ctx.actor.userId, new Map());
}
