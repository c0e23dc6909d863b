/** What clients see of an asset: no storage key, no server path. */
import type { Asset } from "../../db/generated/prisma/client";
import { UPLOADED_MODEL_PREFIX } from "@/nodes/model-id";
import { ALSO_UPLOADED_BY_KEY } from "../authorization";
import type { ServiceContext } from "../context";
import { type AssetUse, findAssetUsage, splitUses, viewableWorkflowIds } from "./find-asset-usage";

export interface AssetView {
  id: string;
  kind: "scorer" | "model";
  name: string;
  byteSize: number;
  sha256: string;
  /** Who uploaded it; null until accounts exist. */
  uploadedById: string | null;
  createdAt: Date;
  /** For a model: the id a Sampler stores ("upload:<sha256>"); null for a scorer. */
  modelId: string | null;
  /** What validation found (scorer: opset, input and output shapes; model: file count, unpacked size). */
  summary: Record<string, unknown>;
  /** Workflows using it that the asker may open. */
  usedBy: AssetUse[];
  /** Workflows using it that the asker may not open (counted, never named). */
  usedByOthers: number;
}

function parseSummary(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
    // Who else uploaded the same bytes is for access checks only, not for clients.
    const { [ALSO_UPLOADED_BY_KEY]: _others, ...shown } = value as Record<string, unknown>;
    return shown;
  } catch {
    return {};
  }
}

export function assetView(asset: Asset, usedBy: AssetUse[], usedByOthers = 0): AssetView {
  const kind = asset.kind === "model" ? "model" : "scorer";
  return {
    id: asset.id,
    kind,
    name: asset.name,
    byteSize: asset.byteSize,
    sha256: asset.sha256,
    uploadedById: asset.uploadedById,
    createdAt: asset.createdAt,
    modelId: kind === "model" ? `${UPLOADED_MODEL_PREFIX}${asset.sha256}` : null,
    summary: parseSummary(asset.summary),
    usedBy,
    usedByOthers,
  };
}

/** One asset as the actor may see it: uses on workflows they cannot open are only counted. */
export async function toAssetView(ctx: ServiceContext, asset: Asset): Promise<AssetView> {
  const usage = await findAssetUsage(ctx, [asset]);
  const { visible, hidden } = splitUses(usage.get(asset.id) ?? [], await viewableWorkflowIds(ctx, ctx.actor));
  return assetView(asset, visible, hidden);
}
