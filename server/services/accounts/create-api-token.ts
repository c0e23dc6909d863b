import { z } from "zod";
import { assertSignedIn } from "../authorization";
import type { ServiceContext } from "../context";
import { API_TOKEN_PREFIX, type ApiTokenView } from "./api-tokens";
import { hashToken, newSecretToken } from "./tokens";

export const createApiTokenInput = z.object({
  name: z.string().trim().min(1, "Give the token a name, e.g. the script that uses it.").max(80),
});

/** A new personal API token; the token itself is returned this once and never stored. */
export async function createApiToken(
  ctx: ServiceContext,
  input: z.infer<typeof createApiTokenInput>,
): Promise<ApiTokenView & { token: string }> {
  assertSignedIn(ctx.actor);
  const userId = ctx.actor.userId;
  if (userId === null) throw new Error("createApiToken: the app itself has no tokens");
  const token = newSecretToken(API_TOKEN_PREFIX);
  const row = await ctx.db.apiToken.create({
    data: { userId, name: input.name, tokenHash: hashToken(token), prefix: token.slice(0, 10) },
  });
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.createdAt,
    lastUsedAt: null,
    token,
  };
}
