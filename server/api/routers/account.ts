import { z } from "zod";
import { createApiToken, createApiTokenInput } from "../../services/accounts/create-api-token";
import { createInvitation, createInvitationInput } from "../../services/accounts/create-invitation";
import { getMe } from "../../services/accounts/get-me";
import { listApiTokens } from "../../services/accounts/list-api-tokens";
import { listInvitations } from "../../services/accounts/list-invitations";
import { listPeople } from "../../services/accounts/list-people";
import { revokeApiToken, revokeApiTokenInput } from "../../services/accounts/revoke-api-token";
import { revokeInvitation, revokeInvitationInput } from "../../services/accounts/revoke-invitation";
import { setPersonAdmin, setPersonAdminInput } from "../../services/accounts/set-person-admin";
import { setSignupOpen } from "../../services/accounts/set-signup-open";
import { getSignupSettings } from "../../services/accounts/get-signup-settings";
import { createTRPCRouter, publicProcedure } from "../trpc";

/**
 * The signed-in person, their API tokens, and (owner and admins) people, open sign-up and invitations.
 * Signing in, out and up and passwords go through the auth library's own endpoints (app/api/auth).
 */
export const accountRouter = createTRPCRouter({
  me: publicProcedure.query(({ ctx }) => getMe(ctx)),

  listApiTokens: publicProcedure.query(({ ctx }) => listApiTokens(ctx)),
  createApiToken: publicProcedure
    .input(createApiTokenInput)
    .mutation(({ ctx, input }) => createApiToken(ctx, input)),
  revokeApiToken: publicProcedure
    .input(revokeApiTokenInput)
    .mutation(({ ctx, input }) => revokeApiToken(ctx, input)),

  listPeople: publicProcedure.query(({ ctx }) => listPeople(ctx)),
  setAdmin: publicProcedure
    .input(setPersonAdminInput)
    .mutation(({ ctx, input }) => setPersonAdmin(ctx, input)),
  signupSettings: publicProcedure.query(({ ctx }) => getSignupSettings(ctx)),
  setSignupOpen: publicProcedure
    .input(z.object({ open: z.boolean() }))
    .mutation(({ ctx, input }) => setSignupOpen(ctx, input.open)),
  listInvitations: publicProcedure.query(({ ctx }) => listInvitations(ctx)),
  createInvitation: publicProcedure.input(createInvitationInput).mutation(async ({ ctx, input }) => {
    const { id, email, link, delivered } = await createInvitation(
      ctx,
      input,
      ctx.origin ?? "http://localhost:3000",
    );
    return { id, email, link, delivered };
  }),
  revokeInvitation: publicProcedure
    .input(revokeInvitationInput)
    .mutation(({ ctx, input }) => revokeInvitation(ctx, input)),
});
