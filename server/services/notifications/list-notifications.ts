/**
 * The signed-in person's notifications, newest first (their own only: anyone else's are never reachable), with
 * a readable line, the link to their target and an excerpt for comments.
 */
import { AppError } from "../../errors";
import type { ServiceContext } from "../context";
import { describeNotification, readNotificationData } from "./describe-notification";

export interface NotificationView {
  id: string;
  kind: string;
  line: string;
  excerpt: string | null;
  href: string | null;
  read: boolean;
  createdAt: Date;
}

export function requireSignedIn(ctx: ServiceContext): string {
  if (ctx.actor.userId === null) throw new AppError("UNAUTHORIZED", "Sign in to continue.");
  return ctx.actor.userId;
}

export async function listNotifications(
  ctx: ServiceContext,
  input: { limit?: number; unreadOnly?: boolean } = {},
): Promise<NotificationView[]> {
  const userId = requireSignedIn(ctx);
  const rows = await ctx.db.notification.findMany({
    where: { userId, ...(input.unreadOnly ? { readAt: null } : {}) },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: Math.min(Math.max(input.limit ?? 30, 1), 100),
  });
  return rows.map((row) => {
    const data = readNotificationData(row.data);
    const { line, href } = describeNotification(row.kind, data);
    return {
      id: row.id,
      kind: row.kind,
      line,
      excerpt: typeof data.excerpt === "string" && data.excerpt !== "" ? data.excerpt : null,
      // Without a more precise target, a notification about a workflow opens it.
      href: href ?? (row.workflowId ? `/workflows/${encodeURIComponent(row.workflowId)}` : null),
      read: row.readAt !== null,
      createdAt: row.createdAt,
    };
  });
}
