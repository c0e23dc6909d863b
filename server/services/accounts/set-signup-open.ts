import { assertInstanceAdmin } from "../authorization";
import type { ServiceContext } from "../context";
import { SIGNUP_OPEN_KEY } from "./signup-settings";

/** Opens or closes sign-up for everyone (owner and admins). */
export async function setSignupOpen(ctx: ServiceContext, open: boolean): Promise<{ open: boolean }> {
  assertInstanceAdmin(ctx.actor);
  const value = open ? "true" : "false";
  await ctx.db.appSetting.upsert({
    where: { key: SIGNUP_OPEN_KEY },
    create: { key: SIGNUP_OPEN_KEY, value },
    update: { value },
  });
  return { open };
}
