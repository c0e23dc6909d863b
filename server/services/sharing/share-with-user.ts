/**
 * Shares a workflow with a person by the email of their account, with a role (editor, reviewer, viewer). Sharing
 * again with someone who already has a share changes its role. An email without an account is refused with
 * what to do (they sign up, or an admin invites them); nothing is created for it.
 */
import { AppError } from "../../errors";
import { recordActivity } from "../activity/record-activity";
import { assertWorkflowAccess, type ShareRole } from "../authorization";
import type { ServiceContext } from "../context";
import { notifyUsers } from "../notifications/notify-users";
import type { ShareView } from "./share-views";

export interface ShareWithUserResult {
  share: ShareView;
  /** "added": new share; "changed": their role changed; "unchanged": they already had exactly this role. */
  outcome: "added" | "changed" | "unchanged";
}

export async function shareWithUser(
  ctx: ServiceContext,
  input: { workflowId: string; email: string; role: ShareRole },
): Promise<ShareWithUserResult> {
  const { workflow } = await assertWorkflowAccess(ctx, input.workflowId, "share");
  if (workflow.deletedAt) {
    throw new AppError("VALIDATION", `“${workflow.name}” is in the trash; restore it before sharing it.`);
  }
  const email = input.email.trim();
  const user =
    (await ctx.db.user.findUnique({ where: { email: email.toLowerCase() } })) ??
    (await ctx.db.user.findUnique({ where: { email } }));
  if (!user) {
    throw new AppError(
      "VALIDATION",
      `No account uses ${email}. Ask them to sign up first (or ask an administrator to invite them), then share again.`,
      { issues: [{ message: `No account uses ${email}.`, code: "unknown-email", path: ["email"] }] },
    );
  }
  if (user.id === workflow.ownerId) {
    throw new AppError("VALIDATION", `${user.name} owns “${workflow.name}”: they already have full access.`);
  }
  const existing = await ctx.db.workflowShare.findUnique({
    where: { workflowId_userId: { workflowId: workflow.id, userId: user.id } },
  });
  const share = await ctx.db.workflowShare.upsert({
    where: { workflowId_userId: { workflowId: workflow.id, userId: user.id } },
    create: { workflowId: workflow.id, userId: user.id, role: input.role, createdById: ctx.actor.userId },
    update: { role: input.role },
  });
  const outcome = !existing ? "added" : existing.role === input.role ? "unchanged" : "changed";
  if (outcome !== "unchanged") {
    await recordActivity(ctx, {
      workflowId: workflow.id,
      kind: "shared",
      data: { userId: user.id, name: user.name, role: input.role, previousRole: existing?.role ?? null },
    });
    await notifyUsers(ctx, {
      userIds: [user.id],
      kind: "shared",
      workflowId: workflow.id,
      data: { workflowName: workflow.name, role: input.role },
    });
  }
  return {
    share: {
      userId: user.id,
      name: user.name,
      email: user.email,
      role: input.role,
      sharedAt: share.createdAt,
    },
    outcome,
  };
}
