/**
 * Model ids, as the Sampler stores them and `models.list` gives them. An id is never a path: bundled models
 * are named by their folder under models/, MODELS_DIR ones by "user:<folder>", uploaded ones by
 * "upload:<sha256 of the upload>"; the server maps an id to a folder it chose itself.
 */
import { z } from "zod";

export const USER_MODEL_PREFIX = "user:";
export const UPLOADED_MODEL_PREFIX = "upload:";

/** A folder name: letters, digits, ".", "_" and "-", not starting with "." (so never "..", never a path). */
const FOLDER_NAME = "[A-Za-z0-9][A-Za-z0-9._-]{0,127}";
export const MODEL_ID_PATTERN = new RegExp(`^(?:(?:user:)?${FOLDER_NAME}|upload:[0-9a-f]{64})$`);

export const MODEL_ID_MESSAGE =
  "it must be a model from the server's model list, not a folder or a path on the server; pick one from the list";

export function isModelId(value: string): boolean {
  return MODEL_ID_PATTERN.test(value);
}

export const modelIdSchema = z
  .string()
  .min(1)
  .max(200)
  .refine((value) => isModelId(value), { message: MODEL_ID_MESSAGE });
