/**
 * Creates a link that grants a role on a workflow to whoever signs in and opens it, optionally expiring. The
 * token is in the answer only (shown once); the database keeps its hash.
 */
import { AppError } from "../../errors";
import { recordActivity } from "../activity/record-activity";
import { assertWorkflowAccess, type ShareRole } from "../authorization";
import type { ServiceContext } from "../context";
import { hashShareToken, newShareToken, shareLinkPath } from "./share-token";
import { type ShareLinkView, toShareLinkView } from "./share-views";

/** Longest expiry a link may be given (a year); no expiry at all is allowed and is the default. */
export const MAX_SHARE_LINK_DAYS = 365;

export interface CreatedShareLink {
  link: ShareLinkView;
  /** The secret: shown once, never stored. */
  token: string;
  /** Where the link points, relative to the app (the client prefixes its origin). */
  path: string;
}

export async function createShareLink(
  ctx: ServiceContext,
  input: { workflowId: string; role: ShareRole; expiresInDays?: number | null; now?: Date },
): Promise<CreatedShareLink> {
  const { workflow } = await assertWorkflowAccess(ctx, input.workflowId, "share");
  if (workflow.deletedAt) {
    throw new AppError("VALIDATION", `“${workflow.name}” is in the trash; restore it before sharing it.`);
  }
  const days = input.expiresInDays ?? null;
  if (days !== null && !(days > 0 && days <= MAX_SHARE_LINK_DAYS)) {
    throw new AppError(
      "VALIDATION",
      `A link expires after 1 to ${MAX_SHARE_LINK_DAYS} days (or never); got ${days}.`,
    );
  }
  const now = input.now ?? new Date();
  const token = newShareToken();
  const link = await ctx.db.shareLink.create({
    data: {
      workflowId: workflow.id,
      role: input.role,
      tokenHash: hashShareToken(token),
      createdById: ctx.actor.userId,
      expiresAt: days === null ? null : new Date(now.getTime() + days * 24 * 60 * 60 * 1000),
    },
  });
  await recordActivity(ctx, {
    workflowId: workflow.id,
    kind: "link-created",
    data: { linkId: link.id, role: input.role, expiresAt: link.expiresAt?.toISOString() ?? null },
  });
  return { link: toShareLinkView(link), token, path: shareLinkPath(token) };
}
