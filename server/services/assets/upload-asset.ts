/**
 * Keeps an upload that was streamed to a temporary file (server/assets/receive-upload.ts): an upload of the
 * same content and kind returns the asset already kept; otherwise the file is validated (a scorer must be a
 * usable ONNX scoring model, a model .zip a diffusers ONNX folder), moved to its place in the store (derived
 * from kind and hash only) and recorded. On any refusal nothing is kept: no row, no file.
 */
import { mkdirSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { type AssetKind, assetLocation, assetStorageKey, assetTempDir } from "@/server/assets/asset-store";
import { checkScorerFile, ScorerCheckError } from "@/server/assets/check-scorer";
import { extractModelZip, ModelZipError } from "@/server/assets/model-zip";
import type { ReceivedUpload } from "@/server/assets/receive-upload";
import { dataDir as defaultDataDir, getEnv } from "@/server/env";
import { inspectModelFolder } from "@/server/models/folder";
import { AppError } from "../../errors";
import { ALSO_UPLOADED_BY_KEY, alsoUploadedBy, assertSignedIn } from "../authorization";
import type { ServiceContext } from "../context";
import { type AssetView, toAssetView } from "./asset-views";

export interface UploadAssetInput {
  kind: AssetKind;
  /** The file name the user chose: shown in lists, never used to build a path. */
  name: string;
  upload: ReceivedUpload;
  dataDir?: string;
}

export interface UploadAssetResult {
  asset: AssetView;
  /** True when the same file had been uploaded before (nothing new was stored). */
  existing: boolean;
}

/** A display name: the last path segment, without control characters, at most 200 characters. */
export function cleanAssetName(name: string): string {
  const last = name.split(/[\\/]/).pop() ?? "";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed.
  const cleaned = last.replace(/[\u0000-\u001f\u007f]/g, "").trim();
  return cleaned.slice(0, 200) || "upload";
}

/** Validates the temporary file and builds its final form in the store; returns the summary to record. */
async function validateAndPlace(
  kind: AssetKind,
  name: string,
  upload: ReceivedUpload,
  dataDir: string,
): Promise<Record<string, unknown>> {
  const destination = assetLocation(kind, upload.sha256, dataDir);
  if (kind === "scorer") {
    let summary: Record<string, unknown>;
    try {
      // The structure only: a 1.2 GB scorer's weights are never read into memory here.
      summary = { ...(await checkScorerFile(upload.file, name)) };
    } catch (error) {
      if (error instanceof ScorerCheckError) throw new AppError("VALIDATION", error.message);
      throw error;
    }
    mkdirSync(path.dirname(destination), { recursive: true });
    rmSync(destination, { force: true });
    renameSync(upload.file, destination);
    return summary;
  }
  const staging = path.join(assetTempDir(dataDir), `${path.basename(upload.file)}.d`);
  try {
    let extracted: Awaited<ReturnType<typeof extractModelZip>>;
    try {
      extracted = await extractModelZip(upload.file, staging, {
        zipName: name,
        maxUnzippedBytes: getEnv().maxUnzippedModelBytes,
      });
    } catch (error) {
      if (error instanceof ModelZipError) throw new AppError("VALIDATION", error.message);
      throw error;
    }
    const inspection = inspectModelFolder(extracted.root);
    const errors = inspection.problems.filter((problem) => problem.severity === "error");
    if (errors.length > 0) {
      const shown = errors.slice(0, 4).map((problem) => `${problem.file}: ${problem.message}`);
      const more = errors.length > shown.length ? ` (and ${errors.length - shown.length} more)` : "";
      throw new AppError(
        "VALIDATION",
        `“${name}” is not a usable diffusers ONNX model: ${shown.join("; ")}${more}. ` +
          "Zip a folder with model_index.json, tokenizer/, text_encoder/, unet/, vae_decoder/ and scheduler/.",
      );
    }
    mkdirSync(path.dirname(destination), { recursive: true });
    rmSync(destination, { recursive: true, force: true });
    renameSync(extracted.root, destination);
    return { files: extracted.files, unpackedBytes: extracted.bytes };
  } finally {
    rmSync(staging, { recursive: true, force: true });
    rmSync(upload.file, { force: true });
  }
}

/**
 * Someone uploading bytes already stored (by another person) has the file too: they may see and use the
 * stored asset from then on (not delete it: that stays with its first uploader and admins).
 */
async function recordCoUploader<T extends { id: string; uploadedById: string | null; summary: string }>(
  ctx: ServiceContext,
  asset: T,
): Promise<T> {
  const userId = ctx.actor.userId;
  if (userId === null || asset.uploadedById === userId) return asset;
  const others = alsoUploadedBy(asset.summary);
  if (others.includes(userId)) return asset;
  let summary: Record<string, unknown> = {};
  try {
    summary = JSON.parse(asset.summary) as Record<string, unknown>;
  } catch {
    summary = {};
  }
  const updated = JSON.stringify({ ...summary, [ALSO_UPLOADED_BY_KEY]: [...others, userId] });
  await ctx.db.asset.update({ where: { id: asset.id }, data: { summary: updated } });
  return { ...asset, summary: updated };
}

export async function uploadAsset(ctx: ServiceContext, input: UploadAssetInput): Promise<UploadAssetResult> {
  if (ctx.actor.userId === null && !ctx.actor.system) rmSync(input.upload.file, { force: true });
  assertSignedIn(ctx.actor);
  const dataDir = input.dataDir ?? defaultDataDir();
  const name = cleanAssetName(input.name);
  const { kind, upload } = input;
  try {
    const existing = await ctx.db.asset.findUnique({
      where: { kind_sha256: { kind, sha256: upload.sha256 } },
    });
    if (existing && existing.deletedAt === null) {
      return { asset: await toAssetView(ctx, await recordCoUploader(ctx, existing)), existing: true };
    }
    const summary = await validateAndPlace(kind, name, upload, dataDir);
    const data = {
      kind,
      name,
      sha256: upload.sha256,
      byteSize: upload.byteSize,
      storageKey: assetStorageKey(kind, upload.sha256),
      uploadedById: ctx.actor.userId,
      summary: JSON.stringify(summary),
    };
    // A deleted asset of the same content comes back as it was uploaded now.
    if (existing) {
      const revived = await ctx.db.asset.update({
        where: { id: existing.id },
        data: { ...data, deletedAt: null, createdAt: new Date() },
      });
      return { asset: await toAssetView(ctx, revived), existing: false };
    }
    try {
      return { asset: await toAssetView(ctx, await ctx.db.asset.create({ data })), existing: false };
    } catch (error) {
      // The same file uploaded twice at once: the other upload's row won; it is the same content.
      const winner = await ctx.db.asset.findUnique({
        where: { kind_sha256: { kind, sha256: upload.sha256 } },
      });
      if (winner && winner.deletedAt === null)
        return { asset: await toAssetView(ctx, await recordCoUploader(ctx, winner)), existing: true };
      throw error;
    }
  } finally {
    rmSync(upload.file, { force: true });
  }
}
