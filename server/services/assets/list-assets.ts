/** The uploaded assets (newest first), each with where it is used. */
import type { AssetKind } from "@/server/assets/asset-store";
import type { ServiceContext } from "../context";
import { type AssetView, assetView } from "./asset-views";
import { findAssetUsage } from "./find-asset-usage";

export async function listAssets(
  ctx: Pick<ServiceContext, "db">,
  input: { kind?: AssetKind } = {},
): Promise<AssetView[]> {
  const assets = await ctx.db.asset.findMany({
    where: { deletedAt: null, ...(input.kind ? { kind: input.kind } : {}) },
    orderBy: { createdAt: "desc" },
  });
  const usage = await findAssetUsage(ctx, assets);
  return assets.map((asset) => assetView(asset, usage.get(asset.id) ?? []));
}
