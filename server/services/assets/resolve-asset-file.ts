/**
 * The only way from an asset id to a file: the Asset row by id, then the store location derived from its
 * kind and content hash. An unknown, deleted or wrong-kind id gets one message, so no message reveals
 * whether some path exists on the server.
 */
import { existsSync } from "node:fs";
import { type AssetFiles, type AssetKind, assetLocation } from "@/server/assets/asset-store";
import { AppError } from "../../errors";
import type { ServiceContext } from "../context";

const KIND_TEXT: Record<AssetKind, string> = { scorer: "scoring model", model: "model" };

export async function resolveAssetFile(
  ctx: Pick<ServiceContext, "db">,
  input: { assetId: string; kind: AssetKind; where: string; dataDir?: string },
): Promise<string> {
  let asset: { sha256: string; name: string } | null;
  try {
    asset = await ctx.db.asset.findFirst({
      where: { id: input.assetId, kind: input.kind, deletedAt: null },
      select: { sha256: true, name: true },
    });
  } catch (error) {
    // E.g. the CLI on a database the server never migrated: say so instead of quoting Prisma.
    throw new AppError(
      "INTERNAL",
      `${input.where}: the uploaded ${KIND_TEXT[input.kind]} “${input.assetId}” could not be looked up: the app's database is not ready. Start the server once (it prepares the database), or check DATABASE_URL.`,
      {},
      { cause: error },
    );
  }
  const missing = () =>
    new AppError(
      "NOT_FOUND",
      `${input.where}: the uploaded ${KIND_TEXT[input.kind]} “${input.assetId}” is not on this server (it was deleted or never uploaded). Upload it again or pick another.`,
    );
  if (!asset) throw missing();
  const location = assetLocation(input.kind, asset.sha256, input.dataDir);
  if (!existsSync(location)) throw missing();
  return location;
}

/** The executor's view of the asset store (see AssetFiles), backed by this database. */
export function createAssetFiles(ctx: Pick<ServiceContext, "db">, dataDir?: string): AssetFiles {
  return {
    scorerFile: (assetId, where) =>
      resolveAssetFile(ctx, { assetId, kind: "scorer", where, ...(dataDir ? { dataDir } : {}) }),
  };
}
