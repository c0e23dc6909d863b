/**
 * Which model folders the server can see: the bundled ones under the repository's models/, the folders
 * of a configured MODELS_DIR (or MODELS_DIR itself when it is one model folder) and uploaded models in the
 * asset store. Listing validates files and configs only (no ONNX session), so it stays fast with
 * multi-gigabyte SD exports; loading checks the rest. Model ids come from users: they are only ever looked
 * up among these folders, never turned into a path (nodes/model-id.ts).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import type { ModelSummary } from "@/nodes/context";
import { isModelId, UPLOADED_MODEL_PREFIX, USER_MODEL_PREFIX } from "@/nodes/model-id";
import { assetLocation } from "@/server/assets/asset-store";
import { repoRoot } from "@/server/db/repo-root";
import { getEnv } from "@/server/env";
import { inspectModelFolder } from "./folder";
import { readModelCardInfo } from "./model-card";

export { USER_MODEL_PREFIX };

export interface ModelDirectories {
  readonly bundledDir: string;
  /** undefined when no MODELS_DIR is configured (or it is the bundled folder). */
  readonly userDir: string | undefined;
  /** The data folder whose asset store holds uploaded models; undefined = no uploads (tests, CLI). */
  readonly dataDir?: string;
}

export function modelDirectories(
  env: Readonly<Record<string, string | undefined>> = process.env,
): ModelDirectories {
  const root = repoRoot();
  const bundledDir = path.join(root, "models");
  const configured = env.MODELS_DIR?.trim();
  const userDir = configured ? path.resolve(root, configured) : undefined;
  return {
    bundledDir,
    userDir: userDir && userDir !== bundledDir ? userDir : undefined,
    dataDir: getEnv(env).dataDir,
  };
}

/** A listed model with its folder: server-side only (ModelSummary, which clients get, has no path). */
interface DiscoveredModel {
  readonly summary: ModelSummary;
  readonly dir: string;
}

/** A folder is a model candidate when it looks like a diffusers export, even a broken one. */
function looksLikeModelFolder(dir: string): boolean {
  return ["model_index.json", "unet", "text_encoder", "vae_decoder"].some((entry) =>
    existsSync(path.join(dir, entry)),
  );
}

function candidates(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  if (looksLikeModelFolder(dir)) return [dir];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith("."))
    .map((entry) => path.join(dir, entry.name))
    .filter(looksLikeModelFolder)
    .sort();
}

function summarize(dir: string, source: "bundled" | "user"): DiscoveredModel {
  const inspection = inspectModelFolder(dir);
  const folder = path.basename(dir);
  return {
    dir: inspection.dir,
    summary: {
      id: source === "bundled" ? folder : `${USER_MODEL_PREFIX}${folder}`,
      name: inspection.name,
      source,
      valid: !inspection.problems.some((problem) => problem.severity === "error"),
      problems: inspection.problems.map(({ severity, file, message }) => ({ severity, file, message })),
      ...(inspection.imageSize ? { imageSize: inspection.imageSize } : {}),
      ...readModelCardInfo(dir),
    },
  };
}

function discoverModels(directories: ModelDirectories): DiscoveredModel[] {
  const models = candidates(directories.bundledDir).map((dir) => summarize(dir, "bundled"));
  if (directories.userDir) {
    models.push(...candidates(directories.userDir).map((dir) => summarize(dir, "user")));
  }
  // Folder names that could not be written as an id (spaces, other characters) cannot be picked.
  return models.filter((model) => isModelId(model.summary.id));
}

/** Bundled and MODELS_DIR models (uploaded ones are listed by server/services/assets/list-models.ts). */
export function listModels(directories: ModelDirectories = modelDirectories()): ModelSummary[] {
  return discoverModels(directories).map((model) => model.summary);
}

/** The validity and problems of an uploaded model's folder, for the model list. */
export function summarizeUploadedModel(
  sha256: string,
  name: string,
  directories: ModelDirectories = modelDirectories(),
): ModelSummary {
  const id = `${UPLOADED_MODEL_PREFIX}${sha256}`;
  const dir = directories.dataDir ? assetLocation("model", sha256, directories.dataDir) : undefined;
  if (!dir || !existsSync(dir)) {
    return {
      id,
      name,
      source: "upload",
      valid: false,
      problems: [
        { severity: "error", file: ".", message: "the uploaded files are missing; upload the model again" },
      ],
    };
  }
  const inspection = inspectModelFolder(dir);
  return {
    id,
    name,
    source: "upload",
    valid: !inspection.problems.some((problem) => problem.severity === "error"),
    problems: inspection.problems.map(({ severity, file, message }) => ({ severity, file, message })),
    ...(inspection.imageSize ? { imageSize: inspection.imageSize } : {}),
    ...readModelCardInfo(dir),
  };
}

export class UnknownModelError extends Error {
  readonly code = "MODEL_NOT_FOUND";
  constructor(modelId: string, known: readonly ModelSummary[]) {
    const shown = modelId.length > 80 ? `${modelId.slice(0, 80)}…` : modelId;
    super(
      `No model "${shown}" on this server. Available: ${known.map((model) => model.id).join(", ") || "none"}. ` +
        "Pick one from the model list, upload a model on the Assets page, or set MODELS_DIR to a folder of diffusers ONNX exports.",
    );
    this.name = "UnknownModelError";
  }
}

/**
 * The folder of a model id. Only ids are accepted: anything else (a path, "..", a NUL byte) is an unknown
 * model. The CLI's `--model DIR` is handled by the CLI itself (scripts/), never through this function.
 */
export function resolveModelDir(modelId: string, directories: ModelDirectories = modelDirectories()): string {
  if (isModelId(modelId) && modelId.startsWith(UPLOADED_MODEL_PREFIX)) {
    const sha256 = modelId.slice(UPLOADED_MODEL_PREFIX.length);
    // The folder is derived from the hash alone; it exists only while the upload is kept.
    const dir = directories.dataDir ? assetLocation("model", sha256, directories.dataDir) : undefined;
    if (dir && existsSync(dir) && statSync(dir).isDirectory()) return dir;
    throw new UnknownModelError(modelId, listModels(directories));
  }
  const known = discoverModels(directories);
  const match = isModelId(modelId) ? known.find((model) => model.summary.id === modelId) : undefined;
  if (match) return match.dir;
  throw new UnknownModelError(
    modelId,
    known.map((model) => model.summary),
  );
}
