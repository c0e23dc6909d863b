import { AppError, notFound } from "../../errors";
import { assertWorkflowAccess, type WorkflowAction } from "../authorization";
import type { ServiceContext } from "../context";
import { WORKFLOW_IN_TRASH_MESSAGE } from "../workflows/load-workflow";

/**
 * A comment by id, after checking the actor may do `action` on its workflow. Someone without access learns
 * nothing: the answer is the same as for an unknown comment id (not the workflow's id).
 */
export async function loadComment(ctx: ServiceContext, commentId: string, action: WorkflowAction) {
  const comment = await ctx.db.comment.findUnique({
    where: { id: commentId },
    include: { author: { select: { id: true, name: true } } },
  });
  if (!comment) {
    if (ctx.actor.userId === null && !ctx.actor.system) {
      throw new AppError("UNAUTHORIZED", "Sign in to continue.");
    }
    throw notFound("Comment", commentId);
  }
  try {
    const { workflow } = await assertWorkflowAccess(ctx, comment.workflowId, action);
    if (workflow.deletedAt && action !== "view") {
      throw new AppError("NOT_FOUND", WORKFLOW_IN_TRASH_MESSAGE, { id: workflow.id, inTrash: true });
    }
    return { comment, workflow };
  } catch (error) {
    if (error instanceof AppError && error.code === "NOT_FOUND" && !error.details.inTrash) {
      throw notFound("Comment", commentId);
    }
    throw error;
  }
}

/** Only the author may change or delete a comment; anyone else is refused with a sentence. */
export function assertOwnComment(
  ctx: ServiceContext,
  comment: { authorId: string; deletedAt: Date | null },
  verb: "edit" | "delete",
): void {
  if (comment.authorId !== ctx.actor.userId) {
    throw new AppError("FORBIDDEN", `You can only ${verb} your own comments.`);
  }
  if (comment.deletedAt) {
    throw new AppError("VALIDATION", "This comment was deleted; it can no longer be changed.");
  }
}
