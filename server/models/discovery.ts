/**
 * Which model folders the server can see: the bundled ones under the repository's models/ and the folders
 * of a configured MODELS_DIR (or MODELS_DIR itself when it is one model folder). Listing validates files and
 * configs only (no ONNX session), so it stays fast with multi-gigabyte SD exports; loading checks the rest.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import type { ModelSummary } from "@/nodes/context";
import { repoRoot } from "@/server/db/repo-root";
import { inspectModelFolder } from "./folder";

export const USER_MODEL_PREFIX = "user:";

export interface ModelDirectories {
  readonly bundledDir: string;
  /** undefined when no MODELS_DIR is configured (or it is the bundled folder). */
  readonly userDir: string | undefined;
}

export function modelDirectories(
  env: Readonly<Record<string, string | undefined>> = process.env,
): ModelDirectories {
  const root = repoRoot();
  const bundledDir = path.join(root, "models");
  const configured = env.MODELS_DIR?.trim();
  const userDir = configured ? path.resolve(root, configured) : undefined;
  return { bundledDir, userDir: userDir && userDir !== bundledDir ? userDir : undefined };
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

function summarize(dir: string, source: "bundled" | "user"): ModelSummary {
  const inspection = inspectModelFolder(dir);
  const folder = path.basename(dir);
  return {
    id: source === "bundled" ? folder : `${USER_MODEL_PREFIX}${folder}`,
    name: inspection.name,
    path: inspection.dir,
    source,
    valid: !inspection.problems.some((problem) => problem.severity === "error"),
    problems: inspection.problems.map(({ severity, file, message }) => ({ severity, file, message })),
  };
}

export function listModels(directories: ModelDirectories = modelDirectories()): ModelSummary[] {
  const models = candidates(directories.bundledDir).map((dir) => summarize(dir, "bundled"));
  if (directories.userDir) {
    models.push(...candidates(directories.userDir).map((dir) => summarize(dir, "user")));
  }
  return models;
}

export class UnknownModelError extends Error {
  readonly code = "MODEL_NOT_FOUND";
  constructor(modelId: string, known: readonly ModelSummary[]) {
    super(
      `No model "${modelId}" on this server. Available: ${known.map((model) => model.id).join(", ") || "none"}. ` +
        "Bundled models live in models/; set MODELS_DIR to a folder of diffusers ONNX exports to add your own.",
    );
    this.name = "UnknownModelError";
  }
}

/** The folder of a model id (or of an explicit directory path, for the CLI). */
export function resolveModelDir(
  modelIdOrDir: string,
  directories: ModelDirectories = modelDirectories(),
): string {
  const known = listModels(directories);
  const match = known.find((model) => model.id === modelIdOrDir);
  if (match) return match.path;
  if (modelIdOrDir.includes("/") || modelIdOrDir.includes(path.sep)) return path.resolve(modelIdOrDir);
  throw new UnknownModelError(modelIdOrDir, known);
}
