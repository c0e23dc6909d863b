/**
 * Deletes an uploaded asset that no workflow uses: its file (or folder) leaves the store and its row is
 * marked deleted (uploading the same file again brings it back). An asset in use is refused with the names
 * of the workflows that use it, so the user knows what to change first.
 */
import { rmSync } from "node:fs";
import { type AssetKind, assetLocation } from "@/server/assets/asset-store";
import { dataDir as defaultDataDir } from "@/server/env";
import { AppError, notFound } from "../../errors";
import { assertCanDeleteAsset, assertSignedIn, canSeeAsset } from "../authorization";
import type { ServiceContext } from "../context";
import { findAssetUsage, grantsSight, splitUses, viewableWorkflowIds } from "./find-asset-usage";

export async function deleteAsset(
  ctx: ServiceContext,
  input: { assetId: string; dataDir?: string },
): Promise<{ id: string }> {
  assertSignedIn(ctx.actor);
  const asset = await ctx.db.asset.findFirst({ where: { id: input.assetId, deletedAt: null } });
  if (!asset) throw notFound("Uploaded file", input.assetId);
  const uses = (await findAssetUsage(ctx, [asset])).get(asset.id) ?? [];
  const { visible, hidden } = splitUses(uses, await viewableWorkflowIds(ctx, ctx.actor));
  // Those who may see it (but did not upload it first) hear why they may not delete it; others, NOT_FOUND.
  assertCanDeleteAsset(
    ctx.actor,
    asset,
    canSeeAsset(ctx.actor, asset, await grantsSight(ctx, ctx.actor, uses)),
  );
  if (uses.length > 0) {
    // Workflows the deleter may not open are counted, never named.
    const names = visible.map((use) => `“${use.workflowName}”${use.inTrash ? " (in the trash)" : ""}`);
    if (hidden > 0) names.push(`${hidden} workflow${hidden === 1 ? "" : "s"} of other people`);
    throw new AppError(
      "CONFLICT",
      `“${asset.name}” is used by ${names.join(", ")}; pick another ${asset.kind === "model" ? "model" : "scoring model"} there first, then delete it.`,
      { usedBy: visible, usedByOthers: hidden },
    );
  }
  // Row first: from then on nothing can resolve the id, so removing the file cannot break a lookup midway.
  await ctx.db.asset.update({ where: { id: asset.id }, data: { deletedAt: new Date() } });
  rmSync(assetLocation(asset.kind as AssetKind, asset.sha256, input.dataDir ?? defaultDataDir()), {
    recursive: true,
    force: true,
  });
  return { id: asset.id };
}
