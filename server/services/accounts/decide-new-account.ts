/**
 * Who may create an account, and with which instance role. Called by the auth library's user-creation hook
 * for every sign-up, whichever way it arrives (the pages, the HTTP endpoint, the server API):
 * - no account yet: the first one becomes the instance's owner (the /setup form);
 * - else with a valid invitation for that email: the invitation's role;
 * - else only while the owner has opened sign-up: "user".
 */
import { AppError } from "@/server/errors";
import type { InstanceRole } from "../context";
import type { DbClient } from "@/server/db/client";
import { isSignupOpen } from "./signup-settings";
import { hashToken } from "./tokens";

export interface NewAccountDecision {
  role: InstanceRole;
  invitationId: string | null;
}

/** Marks the setup as taken, so that two first visitors at once cannot both become the owner. */
const OWNER_CLAIM_KEY = "setup.owner-claim";
/** A claim whose account creation failed (e.g. a crash) stops blocking setup after this long. */
const OWNER_CLAIM_STALE_MS = 60_000;

async function claimOwnership(db: DbClient, email: string): Promise<boolean> {
  try {
    await db.appSetting.create({ data: { key: OWNER_CLAIM_KEY, value: email } });
    return true;
  } catch {
    const claim = await db.appSetting.findUnique({ where: { key: OWNER_CLAIM_KEY } });
    if (!claim) return false;
    if (claim.value === email || Date.now() - claim.updatedAt.getTime() > OWNER_CLAIM_STALE_MS) {
      const taken = await db.appSetting.updateMany({
        where: { key: OWNER_CLAIM_KEY, updatedAt: claim.updatedAt },
        data: { value: email },
      });
      return taken.count === 1;
    }
    return false;
  }
}

export async function decideNewAccount(
  db: DbClient,
  input: { email: string; invitationToken: string | null },
): Promise<NewAccountDecision> {
  const email = input.email.trim().toLowerCase();
  if ((await db.user.count()) === 0) {
    if (await claimOwnership(db, email)) return { role: "owner", invitationId: null };
    throw new AppError("CONFLICT", "The owner account is being created by someone else. Sign in instead.");
  }
  if (input.invitationToken) {
    const invitation = await db.invitation.findUnique({
      where: { tokenHash: hashToken(input.invitationToken) },
    });
    const usable =
      invitation !== null &&
      invitation.acceptedAt === null &&
      invitation.revokedAt === null &&
      invitation.expiresAt.getTime() > Date.now();
    if (!usable) {
      throw new AppError(
        "FORBIDDEN",
        "This invitation link is no longer valid (used, revoked or expired). Ask for a new invitation.",
      );
    }
    if (invitation.email.toLowerCase() !== email) {
      throw new AppError(
        "FORBIDDEN",
        `This invitation is for ${invitation.email}. Sign up with that email address, or ask for a new invitation.`,
      );
    }
    return { role: invitation.role === "admin" ? "admin" : "user", invitationId: invitation.id };
  }
  if (await isSignupOpen(db)) return { role: "user", invitationId: null };
  throw new AppError(
    "FORBIDDEN",
    "Sign-up is by invitation only on this DNO Studio. Ask its owner or an administrator for an invitation link.",
  );
}
