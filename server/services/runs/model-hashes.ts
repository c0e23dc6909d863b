/**
 * sha256 of a model folder's files, so a run records the exact weights it used. Hashes are cached per
 * (path, size, mtime) process-wide: multi-gigabyte exports are read once, not at every submission.
 */
import { createHash } from "node:crypto";
import { createReadStream, existsSync, readdirSync, statSync } from "node:fs";
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

const NON_MODEL_DIRECTORIES = new Set(["fixtures", "pytorch", "__pycache__"]);

function modelFiles(dir: string, prefix = ""): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const relative = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) {
      // Test fixtures and training checkpoints beside a model do not change what a run computes.
      if (!NON_MODEL_DIRECTORIES.has(entry.name))
        files.push(...modelFiles(path.join(dir, entry.name), relative));
    } else if (/\.(onnx|onnx_data|bin|json|txt|pb)$/i.test(entry.name)) files.push(relative);
  }
  return files.sort();
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
