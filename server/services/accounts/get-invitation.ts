import type { DbClient } from "@/server/db/client";
import { hashToken } from "./tokens";

/** What the sign-up page shows for an invitation link: the invited email, or why the link no longer works. */
export async function getInvitationByToken(
  db: DbClient,
  token: string,
): Promise<{ ok: true; email: string } | { ok: false; reason: string }> {
  const row = await db.invitation.findUnique({ where: { tokenHash: hashToken(token) } });
  if (!row) return { ok: false, reason: "This invitation link is not valid. Ask for a new invitation." };
  if (row.acceptedAt) return { ok: false, reason: "This invitation was already used. Sign in instead." };
  if (row.revokedAt) return { ok: false, reason: "This invitation was revoked. Ask for a new invitation." };
  if (row.expiresAt.getTime() <= Date.now()) {
    return { ok: false, reason: "This invitation has expired. Ask for a new invitation." };
  }
  return { ok: true, email: row.email };
}
