import { z } from "zod";
import { notFound } from "@/server/errors";
import { assertSignedIn } from "../authorization";
import type { ServiceContext } from "../context";

export const revokeApiTokenInput = z.object({ tokenId: z.string().min(1).max(64) });

/** Revokes one of the signed-in person's tokens; the next request with it is anonymous. */
export async function revokeApiToken(
  ctx: ServiceContext,
  input: z.infer<typeof revokeApiTokenInput>,
): Promise<{ revoked: true }> {
  assertSignedIn(ctx.actor);
  const result = await ctx.db.apiToken.updateMany({
    where: { id: input.tokenId, userId: ctx.actor.userId ?? "", revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (result.count === 0) throw notFound("API token", input.tokenId);
  return { revoked: true };
}
