/**
 * A signed-in person opens /share/<token>: they get the link's role on its workflow. An unknown, revoked or
 * expired link, or one whose workflow is in the trash, is refused with a sentence and changes nothing. A link
 * never lowers access: someone who already has the role or a higher one (an editor opening a viewer link, the
 * owner, an admin) keeps it.
 */
import { AppError } from "../../errors";
import { recordActivity } from "../activity/record-activity";
import { assertSignedIn, isShareRole, type WorkflowRole, workflowRoleOf } from "../authorization";
import type { ServiceContext } from "../context";
import { notifyUsers } from "../notifications/notify-users";
import { hashShareToken, SHARE_TOKEN_PATTERN } from "./share-token";
import { roleAtLeast, shareLinkState } from "./share-views";

export interface AcceptedShareLink {
  workflowId: string;
  workflowName: string;
  /** The role the person has now. */
  role: WorkflowRole;
  /** False when they already had this role or a higher one. */
  changed: boolean;
}

const UNKNOWN_LINK =
  "This share link does not work: it may be mistyped or incomplete. Ask the person who sent it for the link again.";

export async function acceptShareLink(
  ctx: ServiceContext,
  input: { token: string; now?: Date },
): Promise<AcceptedShareLink> {
  assertSignedIn(ctx.actor);
  const userId = ctx.actor.userId;
  if (userId === null) throw new AppError("UNAUTHORIZED", "Sign in to continue.");
  if (!SHARE_TOKEN_PATTERN.test(input.token)) throw new AppError("NOT_FOUND", UNKNOWN_LINK);
  const link = await ctx.db.shareLink.findUnique({
    where: { tokenHash: hashShareToken(input.token) },
    include: { workflow: true },
  });
  if (!link || !isShareRole(link.role)) throw new AppError("NOT_FOUND", UNKNOWN_LINK);
  const now = input.now ?? new Date();
  const state = shareLinkState(link, now);
  if (state === "revoked") {
    throw new AppError(
      "GONE",
      "This share link was revoked by the workflow's owner. Ask them for a new link.",
      {
        reason: "revoked",
      },
    );
  }
  if (state === "expired") {
    const when = link.expiresAt?.toISOString().slice(0, 10) ?? "";
    throw new AppError(
      "GONE",
      `This share link expired on ${when}. Ask the workflow's owner for a new link.`,
      { reason: "expired" },
    );
  }
  if (link.workflow.deletedAt) {
    throw new AppError(
      "GONE",
      `“${link.workflow.name}” is in the trash, so this link opens nothing for now. Ask its owner to restore it.`,
      { reason: "in-trash" },
    );
  }
  const workflow = link.workflow;
  const current = await workflowRoleOf(ctx, workflow);
  if (current !== null && roleAtLeast(current, link.role)) {
    return { workflowId: workflow.id, workflowName: workflow.name, role: current, changed: false };
  }
  await ctx.db.$transaction([
    ctx.db.workflowShare.upsert({
      where: { workflowId_userId: { workflowId: workflow.id, userId } },
      create: { workflowId: workflow.id, userId, role: link.role, createdById: link.createdById },
      update: { role: link.role },
    }),
    ctx.db.shareLink.update({ where: { id: link.id }, data: { lastUsedAt: now } }),
  ]);
  await recordActivity(ctx, {
    workflowId: workflow.id,
    kind: "shared",
    data: { userId, role: link.role, previousRole: current, viaLink: link.id },
  });
  if (workflow.ownerId) {
    await notifyUsers(ctx, {
      userIds: [workflow.ownerId],
      kind: "shared",
      workflowId: workflow.id,
      data: { workflowName: workflow.name, role: link.role, viaLink: true, userId },
    });
  }
  return { workflowId: workflow.id, workflowName: workflow.name, role: link.role, changed: true };
}
