import type { ServiceContext } from "../context";
import { requireSignedIn } from "./list-notifications";

/** How many of the signed-in person's notifications are unread (the bell's number). */
export async function countUnreadNotifications(ctx: ServiceContext): Promise<number> {
  const userId = requireSignedIn(ctx);
  return ctx.db.notification.count({ where: { userId, readAt: null } });
}
