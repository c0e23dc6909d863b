/**
 * Where uploaded files live: data/assets/<kind folder>/<sha256>[.onnx]. A location is derived from the kind
 * and the content hash only (never from a name the user gave), so nothing a user types can point elsewhere
 * on disk. Scorers are single .onnx files; models are extracted diffusers folders.
 */
import path from "node:path";
import { dataDir } from "@/server/env";

export const ASSET_KINDS = ["scorer", "model"] as const;
export type AssetKind = (typeof ASSET_KINDS)[number];

const KIND_FOLDERS: Record<AssetKind, string> = { scorer: "scorers", model: "models" };
const SHA256_PATTERN = /^[0-9a-f]{64}$/;

/** The storage key saved on the Asset row, e.g. "scorers/<sha256>.onnx" or "models/<sha256>". */
export function assetStorageKey(kind: AssetKind, sha256: string): string {
  if (!SHA256_PATTERN.test(sha256)) throw new Error(`Not a SHA-256 hex digest: ${sha256.slice(0, 80)}`);
  return kind === "scorer" ? `${KIND_FOLDERS.scorer}/${sha256}.onnx` : `${KIND_FOLDERS.model}/${sha256}`;
}

/** The asset store's root folder (inside the data folder). */
export function assetRoot(root: string = dataDir()): string {
  return path.join(root, "assets");
}

/** Absolute location of an asset's file (scorer) or folder (model), from its kind and hash only. */
export function assetLocation(kind: AssetKind, sha256: string, root: string = dataDir()): string {
  return path.join(assetRoot(root), assetStorageKey(kind, sha256));
}

/** Where uploads are streamed before they are validated and moved into place (same file system). */
export function assetTempDir(root: string = dataDir()): string {
  return path.join(assetRoot(root), "tmp");
}

/** How the executor finds an uploaded file: by asset id, through the Asset table (server/services/assets). */
export interface AssetFiles {
  /** Absolute path of the stored file of a scorer asset; throws a message for people when there is none. */
  scorerFile(assetId: string, where: string): Promise<string>;
}

/** Without an asset store (a bare test or CLI environment) no uploaded file can be found. */
export const NO_ASSET_STORE: AssetFiles = {
  scorerFile: async (assetId, where) => {
    throw new Error(
      `${where}: the uploaded scoring model “${assetId}” cannot be used here (this environment has no asset store).`,
    );
  },
};
