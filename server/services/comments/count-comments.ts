/**
 * Open-thread counts for a workflow's badges (needs view access): per node (its own threads and its
 * parameters'), per parameter, per run and per iteration; plus the actor's unread count.
 */
import { assertWorkflowAccess, roleAllows } from "../authorization";
import type { ServiceContext } from "../context";
import { unreadWhere } from "./count-unread-comments";

export interface CommentCounts {
  /** Open threads on the whole workflow, any target. */
  open: number;
  /** nodeId → open threads on the node or one of its parameters. */
  byNode: Record<string, number>;
  /** `${nodeId}:${paramKey}` → open threads on that parameter. */
  byParam: Record<string, number>;
  /** runId → open threads on the run or one of its iterations. */
  byRun: Record<string, number>;
  /** `${runId}:${iteration}` → open threads on that iteration. */
  byIteration: Record<string, number>;
  /** Comments by others written since the actor last opened the comments (0 for anonymous). */
  unread: number;
  /** Whether the actor may write, reply and resolve (reviewer and up): the UI hides the boxes otherwise. */
  canComment: boolean;
}

function bump(record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1;
}

export function paramKeyOf(nodeId: string, paramKey: string): string {
  return `${nodeId}:${paramKey}`;
}

export async function countComments(
  ctx: ServiceContext,
  input: { workflowId: string },
): Promise<CommentCounts> {
  const { workflow, role } = await assertWorkflowAccess(ctx, input.workflowId, "view");
  const open = await ctx.db.comment.findMany({
    where: { workflowId: workflow.id, parentId: null, resolvedAt: null, deletedAt: null },
    select: { nodeId: true, paramKey: true, runId: true, iteration: true },
  });
  const counts: CommentCounts = {
    open: open.length,
    byNode: {},
    byParam: {},
    byRun: {},
    byIteration: {},
    unread: 0,
    canComment: roleAllows(role, "comment") && workflow.deletedAt === null,
  };
  for (const row of open) {
    if (row.nodeId) bump(counts.byNode, row.nodeId);
    if (row.nodeId && row.paramKey) bump(counts.byParam, paramKeyOf(row.nodeId, row.paramKey));
    if (row.runId) bump(counts.byRun, row.runId);
    if (row.runId && row.iteration !== null) bump(counts.byIteration, `${row.runId}:${row.iteration}`);
  }
  const actorId = ctx.actor.userId;
  if (actorId !== null) {
    const marker = await ctx.db.commentReadMarker.findUnique({
      where: { userId_workflowId: { userId: actorId, workflowId: workflow.id } },
    });
    counts.unread = await ctx.db.comment.count({
      where: { workflowId: workflow.id, ...unreadWhere(actorId, marker?.readAt ?? null) },
    });
  }
  return counts;
}
