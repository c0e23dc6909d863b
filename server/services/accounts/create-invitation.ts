import { z } from "zod";
import { sendMail } from "@/server/auth/send-mail";
import { assertInstanceAdmin } from "../authorization";
import type { ServiceContext } from "../context";
import { hashToken, newSecretToken } from "./tokens";

export const INVITATION_DAYS = 7;

export const createInvitationInput = z.object({
  email: z.email("Enter the email address of the person to invite.").max(254),
  role: z.enum(["user", "admin"]).default("user"),
});

/**
 * Invites someone by email (owner and admins): a sign-up link valid for a week, mailed through SMTP or written
 * to the server log. The link is also returned so that the inviter can pass it on themselves.
 */
export async function createInvitation(
  ctx: ServiceContext,
  input: z.input<typeof createInvitationInput>,
  origin: string,
): Promise<{ id: string; email: string; link: string; token: string; delivered: "smtp" | "log" }> {
  assertInstanceAdmin(ctx.actor);
  const { email, role } = createInvitationInput.parse(input);
  const token = newSecretToken("inv_");
  const invitation = await ctx.db.invitation.create({
    data: {
      email: email.toLowerCase(),
      role,
      tokenHash: hashToken(token),
      invitedById: ctx.actor.userId ?? "system",
      expiresAt: new Date(Date.now() + INVITATION_DAYS * 24 * 60 * 60 * 1000),
    },
  });
  const link = `${origin}/sign-up?invitation=${encodeURIComponent(token)}`;
  const { delivered } = await sendMail({
    to: invitation.email,
    subject: "You are invited to DNO Studio",
    text: `You are invited to DNO Studio. Open this link within ${INVITATION_DAYS} days to create your account: ${link}`,
  });
  return { id: invitation.id, email: invitation.email, link, token, delivered };
}
