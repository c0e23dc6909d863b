import { assertInstanceAdmin } from "../authorization";
import type { InstanceRole, ServiceContext } from "../context";
import { instanceRoleOf } from "./actor-for-user";

export interface Person {
  id: string;
  name: string;
  email: string;
  role: InstanceRole;
  createdAt: Date;
}

/** Everyone with an account, oldest first (the owner on top). Owner and admins only. */
export async function listPeople(ctx: ServiceContext): Promise<Person[]> {
  assertInstanceAdmin(ctx.actor);
  const users = await ctx.db.user.findMany({
    orderBy: { createdAt: "asc" },
    select: { id: true, name: true, email: true, role: true, createdAt: true },
  });
  return users.map((user) => ({ ...user, role: instanceRoleOf(user.role) }));
}
