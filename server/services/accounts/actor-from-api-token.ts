import type { DbClient } from "@/server/db/client";
import { ANONYMOUS, type Actor } from "../context";
import { actorForUser } from "./actor-for-user";
import { API_TOKEN_PATTERN } from "./api-tokens";
import { hashToken } from "./tokens";

/** Last-used times are written at most this often per token (a script may call many times a second). */
const LAST_USED_RESOLUTION_MS = 60_000;

/** The account a personal API token acts for; anonymous for an unknown, malformed or revoked token. */
export async function actorFromApiToken(db: DbClient, token: string): Promise<Actor> {
  if (!API_TOKEN_PATTERN.test(token)) return ANONYMOUS;
  const row = await db.apiToken.findUnique({ where: { tokenHash: hashToken(token) } });
  if (!row || row.revokedAt !== null) return ANONYMOUS;
  const actor = await actorForUser(db, row.userId);
  const now = Date.now();
  if (
    actor.userId !== null &&
    (!row.lastUsedAt || now - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS)
  ) {
    await db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date(now) } });
  }
  return actor;
}
