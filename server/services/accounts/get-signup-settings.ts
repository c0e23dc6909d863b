import { assertInstanceAdmin } from "../authorization";
import type { ServiceContext } from "../context";
import { isSignupOpen } from "./signup-settings";

/** Whether anyone may sign up (owner and admins see and change it). */
export async function getSignupSettings(ctx: ServiceContext): Promise<{ open: boolean }> {
  assertInstanceAdmin(ctx.actor);
  return { open: await isSignupOpen(ctx.db) };
}
