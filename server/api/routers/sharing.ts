/** Who has access to a workflow: shares by email, share links, "Shared with me". Services check access. */
import { z } from "zod";
import { SHARE_ROLES } from "../../services/authorization";
import { acceptShareLink } from "../../services/sharing/accept-share-link";
import { changeShareRole } from "../../services/sharing/change-share-role";
import { createShareLink, MAX_SHARE_LINK_DAYS } from "../../services/sharing/create-share-link";
import { listSharedWithMe } from "../../services/sharing/list-shared-with-me";
import { listWorkflowAccess } from "../../services/sharing/list-workflow-access";
import { removeAccess } from "../../services/sharing/remove-access";
import { revokeShareLink } from "../../services/sharing/revoke-share-link";
import { shareWithUser } from "../../services/sharing/share-with-user";
import { createTRPCRouter, publicProcedure } from "../trpc";
import { recordIdSchema } from "./schemas";

const roleSchema = z.enum(SHARE_ROLES, "Pick a role: editor, reviewer or viewer");
const emailSchema = z
  .string()
  .trim()
  .min(3, "Type the email of their account")
  .max(320, "Emails are at most 320 characters")
  .email("That is not an email address");
const tokenSchema = z.string().trim().min(1, "The link has no token").max(200, "That link is too long");

export const sharingRouter = createTRPCRouter({
  /** Owner, people shared with and (for the owner) links. */
  access: publicProcedure
    .input(z.object({ workflowId: recordIdSchema }))
    .query(({ ctx, input }) => listWorkflowAccess(ctx, input)),

  sharedWithMe: publicProcedure.query(({ ctx }) => listSharedWithMe(ctx)),

  share: publicProcedure
    .input(z.object({ workflowId: recordIdSchema, email: emailSchema, role: roleSchema }))
    .mutation(({ ctx, input }) => shareWithUser(ctx, input)),

  changeRole: publicProcedure
    .input(z.object({ workflowId: recordIdSchema, userId: recordIdSchema, role: roleSchema }))
    .mutation(({ ctx, input }) => changeShareRole(ctx, input)),

  /** The owner removes someone, or a person removes their own access. */
  remove: publicProcedure
    .input(z.object({ workflowId: recordIdSchema, userId: recordIdSchema }))
    .mutation(({ ctx, input }) => removeAccess(ctx, input)),

  createLink: publicProcedure
    .input(
      z.object({
        workflowId: recordIdSchema,
        role: roleSchema,
        expiresInDays: z
          .int("Expiry is a whole number of days")
          .min(1, "A link lasts at least 1 day")
          .max(MAX_SHARE_LINK_DAYS, `A link lasts at most ${MAX_SHARE_LINK_DAYS} days`)
          .nullish(),
      }),
    )
    .mutation(({ ctx, input }) => createShareLink(ctx, input)),

  revokeLink: publicProcedure
    .input(z.object({ workflowId: recordIdSchema, linkId: recordIdSchema }))
    .mutation(({ ctx, input }) => revokeShareLink(ctx, input)),

  acceptLink: publicProcedure
    .input(z.object({ token: tokenSchema }))
    .mutation(({ ctx, input }) => acceptShareLink(ctx, input)),
});
