import type { ServiceContext } from "../context";
import { requireSignedIn } from "./list-notifications";

/**
 * Marks the given notifications (or all, without ids) of the signed-in person as read. Ids of someone else's
 * notifications match nothing: the update is limited to the actor's own rows.
 */
export async function markNotificationsRead(
  ctx: ServiceContext,
  input: { ids?: readonly string[] },
): Promise<{ marked: number }> {
  const userId = requireSignedIn(ctx);
  const result = await ctx.db.notification.updateMany({
    where: { userId, readAt: null, ...(input.ids ? { id: { in: [...input.ids] } } : {}) },
    data: { readAt: new Date() },
  });
  return { marked: result.count };
}
