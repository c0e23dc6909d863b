import type { DbClient } from "../db/client";

/** Instance-wide role of an account: the first account is the instance's owner; admins manage people. */
export type InstanceRole = "owner" | "admin" | "user";

/**
 * Who is asking. `userId` null is an anonymous visitor (no session, no token): the authorization checks refuse
 * it everything but signing in. `system` is the app itself (the run worker, start-up seeding, CLI maintenance):
 * it may do everything and is never built from a request.
 */
export interface Actor {
  userId: string | null;
  instanceRole: InstanceRole | null;
  system?: true;
}

export const ANONYMOUS: Actor = { userId: null, instanceRole: null };

/** The app acting on its own behalf (worker, seeding). Never derive this from anything a request carries. */
export const SYSTEM: Actor = { userId: null, instanceRole: null, system: true };

export function userActor(userId: string, instanceRole: InstanceRole): Actor {
  return { userId, instanceRole };
}

/** What every service receives: the database and the actor. Tests pass a client on a temporary database. */
export interface ServiceContext {
  db: DbClient;
  actor: Actor;
}
