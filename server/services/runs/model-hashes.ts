/**
 * sha256 of a model folder's files, so a run records the exact weights it used. Hashes are cached per
 * (path, size, mtime) process-wide: multi-gigabyte exports are read once, not at every submission.
 */
import { createHash } from "node:crypto";
import { createReadStream, existsSync, lstatSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { resolveModelDir } from "@/server/models/discovery";

interface HashCacheHolder {
  dnoRunModelHashes?: Map<string, { size: number; mtimeMs: number; sha256: Promise<string> }>;
}

function hashFile(absolute: string): Promise<string> {
  const holder = globalThis as HashCacheHolder;
  holder.dnoRunModelHashes ??= new Map();
  const stat = statSync(absolute);
  const cached = holder.dnoRunModelHashes.get(absolute);
  if (cached && cached.size === stat.size && cached.mtimeMs === stat.mtimeMs) return cached.sha256;
  const sha256 = new Promise<string>((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(absolute)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex")));
  });
  holder.dnoRunModelHashes.set(absolute, { size: stat.size, mtimeMs: stat.mtimeMs, sha256 });
  sha256.catch(() => holder.dnoRunModelHashes?.delete(absolute));
  return sha256;
}

/** The parts of a diffusers ONNX folder a run reads (the loader's and the classifier reward's files). */
const MODEL_PART_FOLDERS = ["text_encoder", "unet", "vae_decoder", "tokenizer", "scheduler", "classifier"];
const MODEL_FILE = /\.(onnx|onnx_data|bin|json|txt|pb)$/i;

/**
 * model_index.json and the regular files directly inside the known part folders: a bounded set, whatever
 * else lies beside the model (fixtures, training checkpoints), and symlinks are not followed.
 */
function modelFiles(dir: string): string[] {
  const files: string[] = [];
  if (isRegularFile(path.join(/* turbopackIgnore: true */ dir, "model_index.json")))
    files.push("model_index.json");
  for (const folder of MODEL_PART_FOLDERS) {
    // Run-time folders, not build inputs: the bundler must not trace them.
    const partDir = path.join(/* turbopackIgnore: true */ dir, folder);
    if (!existsSync(/* turbopackIgnore: true */ partDir) || !lstatSync(partDir).isDirectory()) continue;
    for (const entry of readdirSync(/* turbopackIgnore: true */ partDir, { withFileTypes: true })) {
      if (entry.isFile() && MODEL_FILE.test(entry.name)) files.push(`${folder}/${entry.name}`);
    }
  }
  return files.sort();
}

function isRegularFile(file: string): boolean {
  return existsSync(file) && lstatSync(file).isFile();
}

/**
 * `{ "<model id>/<file>": sha256 }` for each model id. A model that cannot be found is recorded as
 * missing rather than refused here: the worker fails the run on the Sampler node with the loader's message.
 */
export async function hashModels(modelIds: readonly string[]): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {};
  for (const modelId of new Set(modelIds)) {
    let dir: string;
    try {
      dir = resolveModelDir(modelId);
    } catch {
      hashes[modelId] = "missing";
      continue;
    }
    if (!existsSync(dir)) {
      hashes[modelId] = "missing";
      continue;
    }
    for (const file of modelFiles(dir)) hashes[`${modelId}/${file}`] = await hashFile(path.join(dir, file));
  }
  return hashes;
}
