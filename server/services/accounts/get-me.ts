import type { ServiceContext } from "../context";
import { instanceRoleOf } from "./actor-for-user";
import type { InstanceRole } from "../context";

export interface Me {
  id: string;
  name: string;
  email: string;
  role: InstanceRole;
}

/** The signed-in person, or null for an anonymous visitor. */
export async function getMe(ctx: ServiceContext): Promise<Me | null> {
  if (ctx.actor.userId === null) return null;
  const user = await ctx.db.user.findUnique({
    where: { id: ctx.actor.userId },
    select: { id: true, name: true, email: true, role: true },
  });
  return user ? { ...user, role: instanceRoleOf(user.role) } : null;
}
