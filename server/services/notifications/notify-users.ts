/**
 * Creates in-app notifications (mentions, proposals, decisions, finished runs, shares) for the given people.
 * The actor is never notified of their own action; duplicates in `userIds` collapse to one.
 */
import type { ServiceContext } from "../context";

export const NOTIFICATION_KINDS = [
  "mention",
  "proposal",
  "proposal-decided",
  "run-finished",
  "shared",
  "reply",
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export interface NotifyInput {
  userIds: readonly string[];
  kind: NotificationKind;
  workflowId?: string;
  /** What the notification shows and links to (workflow name, excerpt, run/proposal id), kept small. */
  data?: Record<string, string | number | boolean | null>;
}

export async function notifyUsers(ctx: ServiceContext, input: NotifyInput): Promise<number> {
  const recipients = [...new Set(input.userIds)].filter((id) => id !== ctx.actor.userId);
  if (recipients.length === 0) return 0;
  const result = await ctx.db.notification.createMany({
    data: recipients.map((userId) => ({
      userId,
      kind: input.kind,
      workflowId: input.workflowId ?? null,
      data: JSON.stringify(input.data ?? {}),
    })),
  });
  return result.count;
}
