/**
 * Every model a Sampler can name: bundled, MODELS_DIR and uploaded ones. What clients get has ids, names
 * and problems only, never a server path.
 */
import type { ModelSummary } from "@/nodes/context";
import {
  listModels,
  type ModelDirectories,
  modelDirectories,
  summarizeUploadedModel,
} from "@/server/models/discovery";
import { assertSignedIn, canSeeAsset } from "../authorization";
import type { ServiceContext } from "../context";
import { findAssetUsage, grantsSight } from "./find-asset-usage";

/**
 * Signed-in people only. Bundled and MODELS_DIR models are the server's own and listed to everyone signed in;
 * uploaded ones only to those who may see the upload (its uploader, people who may open a workflow using it,
 * admins), as in the asset list.
 */
export async function listAvailableModels(
  ctx: ServiceContext,
  directories: ModelDirectories = modelDirectories(),
): Promise<ModelSummary[]> {
  assertSignedIn(ctx.actor);
  const all = await ctx.db.asset.findMany({
    where: { kind: "model", deletedAt: null },
    orderBy: { createdAt: "asc" },
    select: { id: true, kind: true, sha256: true, name: true, uploadedById: true, summary: true },
  });
  const usage = await findAssetUsage(ctx, all);
  const uploads: typeof all = [];
  for (const asset of all) {
    if (canSeeAsset(ctx.actor, asset, await grantsSight(ctx, ctx.actor, usage.get(asset.id) ?? []))) {
      uploads.push(asset);
    }
  }
  return [
    ...listModels(directories),
    ...uploads.map((upload) => summarizeUploadedModel(upload.sha256, upload.name, directories)),
  ];
}
