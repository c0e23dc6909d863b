import type { DbClient } from "@/server/db/client";
import { ANONYMOUS, type Actor, type InstanceRole, userActor } from "../context";

export function instanceRoleOf(value: string | null | undefined): InstanceRole {
  return value === "owner" || value === "admin" ? value : "user";
}

/** The actor of an account id from a session or token: anonymous when the account is gone or disabled. */
export async function actorForUser(db: DbClient, userId: string): Promise<Actor> {
  const user = await db.user.findUnique({
    where: { id: userId },
    select: { id: true, role: true, banned: true },
  });
  if (!user || user.banned) return ANONYMOUS;
  return userActor(user.id, instanceRoleOf(user.role));
}
