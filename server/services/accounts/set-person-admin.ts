import { z } from "zod";
import { AppError, notFound } from "@/server/errors";
import { assertInstanceAdmin } from "../authorization";
import type { ServiceContext } from "../context";

export const setPersonAdminInput = z.object({ userId: z.string().min(1).max(64), admin: z.boolean() });

/** Makes someone an administrator or takes it back (owner and admins). The owner's role never changes. */
export async function setPersonAdmin(
  ctx: ServiceContext,
  input: z.infer<typeof setPersonAdminInput>,
): Promise<{ userId: string; role: "admin" | "user" }> {
  assertInstanceAdmin(ctx.actor);
  const user = await ctx.db.user.findUnique({
    where: { id: input.userId },
    select: { id: true, name: true, role: true },
  });
  if (!user) throw notFound("Person", input.userId);
  if (user.role === "owner") {
    throw new AppError(
      "FORBIDDEN",
      `${user.name} is the owner of this DNO Studio; the owner's role cannot change.`,
    );
  }
  const role = input.admin ? "admin" : "user";
  await ctx.db.user.update({ where: { id: user.id }, data: { role } });
  return { userId: user.id, role };
}
