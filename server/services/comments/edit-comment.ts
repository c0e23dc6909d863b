import type { ServiceContext } from "../context";
import { checkCommentBody } from "./add-comment";
import { type CommentView, toCommentView } from "./comment-views";
import { assertOwnComment, loadComment } from "./load-comment";

/** Changes the text of one's own comment (marked "edited"). Needs comment access still. */
export async function editComment(
  ctx: ServiceContext,
  input: { commentId: string; body: string },
): Promise<CommentView> {
  const { comment } = await loadComment(ctx, input.commentId, "comment");
  assertOwnComment(ctx, comment, "edit");
  const body = checkCommentBody(input.body);
  const updated = await ctx.db.comment.update({
    where: { id: comment.id },
    data: { body, editedAt: new Date() },
    include: { author: { select: { id: true, name: true } } },
  });
  return toCommentView(updated, ctx.actor.userId, new Map());
}
