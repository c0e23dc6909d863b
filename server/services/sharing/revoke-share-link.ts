/** Revokes a share link: opening it from then on changes nothing and says it was revoked. Idempotent. */
import { notFound } from "../../errors";
import { recordActivity } from "../activity/record-activity";
import { assertWorkflowAccess } from "../authorization";
import type { ServiceContext } from "../context";
import { type ShareLinkView, toShareLinkView } from "./share-views";

export async function revokeShareLink(
  ctx: ServiceContext,
  input: { workflowId: string; linkId: string },
): Promise<ShareLinkView> {
  const { workflow } = await assertWorkflowAccess(ctx, input.workflowId, "share");
  // Looked up within the workflow the actor may manage: another workflow's link id is simply not found.
  const link = await ctx.db.shareLink.findFirst({ where: { id: input.linkId, workflowId: workflow.id } });
  if (!link) throw notFound("Share link", input.linkId);
  if (link.revokedAt) return toShareLinkView(link);
  const revoked = await ctx.db.shareLink.update({ where: { id: link.id }, data: { revokedAt: new Date() } });
  await recordActivity(ctx, {
    workflowId: workflow.id,
    kind: "link-revoked",
    data: { linkId: link.id, role: link.role },
  });
  return toShareLinkView(revoked);
}
