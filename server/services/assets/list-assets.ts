/**
 * The uploaded assets the actor may see (newest first), each with where it is used: their own uploads, those
 * a workflow they may open uses, and every upload for admins (server/services/authorization.ts canSeeAsset).
 */
import type { AssetKind } from "@/server/assets/asset-store";
import { assertSignedIn, canSeeAsset } from "../authorization";
import type { ServiceContext } from "../context";
import { type AssetView, assetView } from "./asset-views";
import { findAssetUsage, grantsSight, splitUses, viewableWorkflowIds } from "./find-asset-usage";

export async function listAssets(
  ctx: ServiceContext,
  input: { kind?: AssetKind } = {},
): Promise<AssetView[]> {
  assertSignedIn(ctx.actor);
  const assets = await ctx.db.asset.findMany({
    where: { deletedAt: null, ...(input.kind ? { kind: input.kind } : {}) },
    orderBy: { createdAt: "desc" },
  });
  const usage = await findAssetUsage(ctx, assets);
  const viewable = await viewableWorkflowIds(ctx, ctx.actor);
  const views: AssetView[] = [];
  for (const asset of assets) {
    const uses = usage.get(asset.id) ?? [];
    const { visible, hidden } = splitUses(uses, viewable);
    if (canSeeAsset(ctx.actor, asset, await grantsSight(ctx, ctx.actor, uses))) {
      views.push(assetView(asset, visible, hidden));
    }
  }
  return views;
}
