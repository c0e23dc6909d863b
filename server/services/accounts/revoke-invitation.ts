import { z } from "zod";
import { notFound } from "@/server/errors";
import { assertInstanceAdmin } from "../authorization";
import type { ServiceContext } from "../context";

export const revokeInvitationInput = z.object({ invitationId: z.string().min(1).max(64) });

/** Revokes a pending invitation: its link stops working (owner and admins). */
export async function revokeInvitation(
  ctx: ServiceContext,
  input: z.infer<typeof revokeInvitationInput>,
): Promise<{ revoked: true }> {
  assertInstanceAdmin(ctx.actor);
  const result = await ctx.db.invitation.updateMany({
    where: { id: input.invitationId, acceptedAt: null, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (result.count === 0) throw notFound("Pending invitation", input.invitationId);
  return { revoked: true };
}
