import { assertSignedIn } from "../authorization";
import type { ServiceContext } from "../context";
import type { ApiTokenView } from "./api-tokens";

/** The signed-in person's tokens that still work, newest first. */
export async function listApiTokens(ctx: ServiceContext): Promise<ApiTokenView[]> {
  assertSignedIn(ctx.actor);
  if (ctx.actor.userId === null) return [];
  return ctx.db.apiToken.findMany({
    where: { userId: ctx.actor.userId, revokedAt: null },
    orderBy: { createdAt: "desc" },
    select: { id: true, name: true, prefix: true, createdAt: true, lastUsedAt: true },
  });
}
