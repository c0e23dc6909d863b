/** The instance-wide "open sign-up" switch (AppSetting "signup.open"); closed unless the owner opens it. */
import type { DbClient } from "@/server/db/client";

export const SIGNUP_OPEN_KEY = "signup.open";

export async function isSignupOpen(db: DbClient): Promise<boolean> {
  const row = await db.appSetting.findUnique({ where: { key: SIGNUP_OPEN_KEY } });
  return row?.value === "true";
}

/** True while no account exists: the first visitor creates the owner account on /setup. */
export async function needsSetup(db: DbClient): Promise<boolean> {
  return (await db.user.count()) === 0;
}
