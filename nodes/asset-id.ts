/**
 * Ids that name uploaded files (assets) in node params. An id is never a path: the server looks the id up
 * in its asset table and finds the file by content hash, so a param can never point anywhere on disk.
 */
import { z } from "zod";

/** Asset ids are cuids (lowercase letters and digits); "" means "none chosen yet". */
export const ASSET_ID_PATTERN = /^[a-z0-9_-]{1,64}$/;

export const ASSET_ID_MESSAGE =
  "it must name an uploaded file, not a file name or a path on the server; upload the file with the file picker";

export const assetIdSchema = z
  .string()
  .max(64)
  .refine((value) => value === "" || ASSET_ID_PATTERN.test(value), { message: ASSET_ID_MESSAGE });
