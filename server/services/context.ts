import type { DbClient } from "../db/client";

/**
 * Who is asking. There are no accounts yet, so every request is anonymous (userId null); with accounts the
 * tRPC context fills userId from the session and the authorization checks start to bite.
 */
export interface Actor {
  userId: string | null;
}

export const ANONYMOUS: Actor = { userId: null };

/** What every service receives: the database and the actor. Tests pass a client on a temporary database. */
export interface ServiceContext {
  db: DbClient;
  actor: Actor;
}
