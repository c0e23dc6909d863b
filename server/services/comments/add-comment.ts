/**
 * Starts a thread on a target or replies to one. Needs comment access (reviewer and up). Records a "commented"
 * line in the workflow's feed, notifies the people the body mentions ("mention") and, for a reply, the
 * thread's other participants ("reply"); only people who can open the workflow are ever notified.
 */
import { AppError, notFound } from "../../errors";
import { recordActivity } from "../activity/record-activity";
import { assertWorkflowAccess } from "../authorization";
import type { ServiceContext } from "../context";
import { notifyUsers } from "../notifications/notify-users";
import { WORKFLOW_IN_TRASH_MESSAGE } from "../workflows/load-workflow";
import { checkCommentTarget, commentHref, labelOfTarget } from "./comment-target";
import {
  type CommentTarget,
  type CommentView,
  excerpt,
  MAX_COMMENT_LENGTH,
  targetColumns,
  targetOf,
  toCommentView,
} from "./comment-views";
import { findMentions } from "./find-mentions";
import { listWorkflowPeople } from "./list-workflow-people";

export type AddCommentInput = { workflowId: string; body: string } & (
  | { target: CommentTarget }
  | { parentId: string }
);

/** A body as stored: trimmed, non-empty, within the limit. Text only: nothing is escaped or parsed. */
export function checkCommentBody(body: string): string {
  const text = body.trim();
  if (text === "") throw new AppError("VALIDATION", "Write something before sending the comment.");
  if (text.length > MAX_COMMENT_LENGTH) {
    throw new AppError(
      "VALIDATION",
      `Comments are at most ${MAX_COMMENT_LENGTH} characters; this one has ${text.length}. Shorten it or split it into replies.`,
    );
  }
  return text;
}

export async function addComment(ctx: ServiceContext, input: AddCommentInput): Promise<CommentView> {
  const { workflow } = await assertWorkflowAccess(ctx, input.workflowId, "comment");
  if (workflow.deletedAt) {
    throw new AppError("NOT_FOUND", WORKFLOW_IN_TRASH_MESSAGE, { id: workflow.id, inTrash: true });
  }
  const actorId = ctx.actor.userId;
  if (actorId === null) throw new AppError("UNAUTHORIZED", "Sign in to continue.");
  const body = checkCommentBody(input.body);

  let target: CommentTarget;
  let label: string;
  let parentId: string | null = null;
  let threadId: string;
  if ("parentId" in input) {
    const parent = await ctx.db.comment.findUnique({ where: { id: input.parentId } });
    if (!parent || parent.workflowId !== workflow.id) throw notFound("Comment", input.parentId);
    // Replies hang off the thread's first comment: a reply to a reply joins the same thread.
    const root = parent.parentId
      ? await ctx.db.comment.findUniqueOrThrow({ where: { id: parent.parentId } })
      : parent;
    if (root.deletedAt) {
      throw new AppError(
        "VALIDATION",
        "This thread's first comment was deleted; start a new thread instead.",
      );
    }
    parentId = root.id;
    threadId = root.id;
    target = targetOf(root);
    label = await labelOfTarget(ctx, workflow, target);
  } else {
    target = input.target;
    label = await checkCommentTarget(ctx, workflow, target);
    threadId = "";
  }

  const created = await ctx.db.comment.create({
    data: { workflowId: workflow.id, authorId: actorId, parentId, body, ...targetColumns(target) },
    include: { author: { select: { id: true, name: true } } },
  });
  if (threadId === "") threadId = created.id;

  const href = commentHref(workflow.id, target, threadId);
  const data = {
    workflowName: workflow.name,
    target: label,
    excerpt: excerpt(body),
    commentId: created.id,
    threadId,
    href,
    authorName: created.author.name,
  };
  await recordActivity(ctx, {
    workflowId: workflow.id,
    kind: "commented",
    data: {
      target: label,
      commentId: created.id,
      threadId,
      reply: parentId !== null,
      href,
      runId: target.kind === "run" || target.kind === "iteration" ? target.runId : null,
    },
  });

  const people = await listWorkflowPeople(ctx, workflow);
  const mentioned = findMentions(body, people).filter((id) => id !== actorId);
  await notifyUsers(ctx, { userIds: mentioned, kind: "mention", workflowId: workflow.id, data });
  if (parentId !== null) {
    const thread = await ctx.db.comment.findMany({
      where: { OR: [{ id: parentId }, { parentId }] },
      select: { authorId: true },
    });
    const canRead = new Set(people.map((person) => person.id));
    const participants = [...new Set(thread.map((row) => row.authorId))].filter(
      (id) => id !== actorId && canRead.has(id) && !mentioned.includes(id),
    );
    await notifyUsers(ctx, { userIds: participants, kind: "reply", workflowId: workflow.id, data });
  }
  return toCommentView(created, actorId, new Map());
}
