import { assertInstanceAdmin } from "../authorization";
import type { ServiceContext } from "../context";

export interface InvitationView {
  id: string;
  email: string;
  role: string;
  createdAt: Date;
  expiresAt: Date;
  status: "pending" | "accepted" | "revoked" | "expired";
}

/** Invitations, newest first (owner and admins). */
export async function listInvitations(ctx: ServiceContext): Promise<InvitationView[]> {
  assertInstanceAdmin(ctx.actor);
  const rows = await ctx.db.invitation.findMany({ orderBy: { createdAt: "desc" }, take: 200 });
  const now = Date.now();
  return rows.map((row) => ({
    id: row.id,
    email: row.email,
    role: row.role,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    status: row.acceptedAt
      ? "accepted"
      : row.revokedAt
        ? "revoked"
        : row.expiresAt.getTime() <= now
          ? "expired"
          : "pending",
  }));
}
