/**
 * Who is asking, from a request's headers: `Authorization: Bearer <personal API token>` (CLI, scripts) or the
 * session cookie (browsers). A disabled or deleted account, an expired session or a revoked token is
 * anonymous. The tRPC context, the artifact and upload routes and the progress stream all use this.
 */
import type { DbClient } from "../db/client";
import { getDb } from "../db/client";
import { actorForUser } from "../services/accounts/actor-for-user";
import { actorFromApiToken } from "../services/accounts/actor-from-api-token";
import { ANONYMOUS, type Actor } from "../services/context";
import { type Auth, getAuth } from "./auth";

export function bearerToken(headers: Headers): string | null {
  const value = headers.get("authorization");
  if (!value) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return match?.[1] ?? null;
}

export async function actorFromHeaders(
  headers: Headers,
  deps: { db?: DbClient; auth?: Auth } = {},
): Promise<Actor> {
  const db = deps.db ?? getDb();
  const token = bearerToken(headers);
  if (token !== null) return actorFromApiToken(db, token);
  if (!headers.get("cookie")) return ANONYMOUS;
  const auth = deps.auth ?? getAuth();
  // disableRefresh: reading who is asking must not write the session (the library refreshes it on its routes).
  const session = await auth.api.getSession({ headers, query: { disableRefresh: true } });
  if (!session) return ANONYMOUS;
  return actorForUser(db, session.user.id);
}
