/**
 * Unpacks an uploaded diffusers-ONNX model .zip into a fresh folder, refusing what could escape it or fill
 * the disk: absolute names, "..", drive letters, backslashes, symlinks and other non-regular entries,
 * encrypted entries, too many entries, and a declared or actual unpacked size over the limit (zip bombs).
 * A zip whose files sit in one top-level folder ("my-model/model_index.json") is accepted as well.
 */
import { createWriteStream, existsSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { Transform } from "node:stream";
import yauzl from "yauzl";
import { formatBytes } from "@/server/http/body-limit";

export const MAX_MODEL_ZIP_ENTRIES = 2000;

export class ModelZipError extends Error {
  override name = "ModelZipError";
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/** Why an entry name is unsafe, or null. yauzl checks too; this gives people a sentence. */
function unsafeNameReason(name: string): string | null {
  if (name.includes("\u0000")) return "a NUL character";
  if (name.includes("\\")) return "a backslash";
  if (name.startsWith("/")) return "an absolute path";
  if (/^[A-Za-z]:/.test(name)) return "a drive letter";
  if (name.split("/").some((part) => part === "..")) return "“..”";
  return null;
}

function translateYauzlError(error: unknown, zipName: string): ModelZipError {
  const message = error instanceof Error ? error.message : String(error);
  if (/absolute path|invalid relative path|invalid characters in fileName/.test(message)) {
    return new ModelZipError(
      `“${zipName}” contains an entry with an unsafe name (an absolute path, “..” or a backslash); ` +
        "zip the model folder's contents again with plain relative names.",
    );
  }
  if (/symlink|mode/.test(message)) {
    return new ModelZipError(`“${zipName}” contains an entry that is not a regular file or folder.`);
  }
  return new ModelZipError(
    `“${zipName}” is not a readable .zip file. Zip the model folder (model_index.json and its sub-folders) and upload that.`,
  );
}

export interface ExtractedModel {
  /** The folder holding model_index.json (the target, or its single top-level folder). */
  root: string;
  files: number;
  bytes: number;
}

export async function extractModelZip(
  zipFile: string,
  targetDir: string,
  options: { zipName: string; maxUnzippedBytes: number; maxEntries?: number },
): Promise<ExtractedModel> {
  const maxEntries = options.maxEntries ?? MAX_MODEL_ZIP_ENTRIES;
  const target = path.resolve(targetDir);
  mkdirSync(target, { recursive: true });
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(zipFile, { lazyEntries: true, strictFileNames: true });
  } catch (error) {
    throw translateYauzlError(error, options.zipName);
  }
  const tooBig = () =>
    new ModelZipError(
      `“${options.zipName}” unpacks to more than ${formatBytes(options.maxUnzippedBytes)}; raise MAX_UNZIPPED_MODEL_BYTES on the server to allow larger models.`,
    );
  let entries = 0;
  let files = 0;
  let declared = 0;
  let written = 0;
  try {
    for (;;) {
      const entry = await new Promise<yauzl.Entry | null>((resolve, reject) => {
        const onEntry = (next: yauzl.Entry) => {
          cleanup();
          resolve(next);
        };
        const onEnd = () => {
          cleanup();
          resolve(null);
        };
        const onError = (error: unknown) => {
          cleanup();
          reject(error);
        };
        const cleanup = () => {
          zip.off("entry", onEntry);
          zip.off("end", onEnd);
          zip.off("error", onError);
        };
        zip.on("entry", onEntry);
        zip.on("end", onEnd);
        zip.on("error", onError);
        zip.readEntry();
      }).catch((error: unknown) => {
        throw error instanceof ModelZipError ? error : translateYauzlError(error, options.zipName);
      });
      if (!entry) break;
      entries += 1;
      if (entries > maxEntries) {
        throw new ModelZipError(
          `“${options.zipName}” holds more than ${maxEntries} entries; a model folder needs a few dozen. Zip only the model folder.`,
        );
      }
      const name = entry.fileName;
      // macOS adds resource forks beside the files; they are not part of the model.
      if (name.startsWith("__MACOSX/")) continue;
      const reason = unsafeNameReason(name);
      if (reason) {
        throw new ModelZipError(
          `“${options.zipName}” contains an entry whose name has ${reason} (“${name.slice(0, 80)}”); zip the model folder's contents again with plain relative names.`,
        );
      }
      const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
      const isDirectory = name.endsWith("/");
      if (mode === S_IFLNK) {
        throw new ModelZipError(
          `“${options.zipName}” contains a symbolic link (“${name.slice(0, 80)}”); only regular files and folders are accepted.`,
        );
      }
      if (mode !== 0 && mode !== S_IFREG && mode !== S_IFDIR) {
        throw new ModelZipError(
          `“${options.zipName}” contains “${name.slice(0, 80)}”, which is not a regular file or folder; only those are accepted.`,
        );
      }
      if (entry.isEncrypted()) {
        throw new ModelZipError(`“${options.zipName}” is encrypted; upload an unencrypted .zip.`);
      }
      const destination = path.resolve(target, name);
      if (destination !== target && !destination.startsWith(`${target}${path.sep}`)) {
        throw new ModelZipError(`“${options.zipName}” contains an entry that would land outside its folder.`);
      }
      if (isDirectory) {
        mkdirSync(destination, { recursive: true });
        continue;
      }
      declared += entry.uncompressedSize;
      if (declared > options.maxUnzippedBytes) throw tooBig();
      mkdirSync(path.dirname(destination), { recursive: true });
      const source = await new Promise<NodeJS.ReadableStream>((resolve, reject) => {
        zip.openReadStream(entry, (error, stream) => (error || !stream ? reject(error) : resolve(stream)));
      }).catch((error: unknown) => {
        throw translateYauzlError(error, options.zipName);
      });
      // Count what is really written: the declared size is the sender's word.
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          written += chunk.length;
          if (written > options.maxUnzippedBytes) callback(tooBig());
          else callback(null, chunk);
        },
      });
      try {
        await pipeline(source, counter, createWriteStream(destination, { flags: "wx" }));
      } catch (error) {
        throw error instanceof ModelZipError ? error : translateYauzlError(error, options.zipName);
      }
      files += 1;
    }
  } finally {
    zip.close();
  }
  return { root: modelRoot(target), files, bytes: written };
}

/** The folder with model_index.json: the target itself, or its only sub-folder. */
function modelRoot(target: string): string {
  if (existsSync(path.join(target, "model_index.json"))) return target;
  const folders = readdirSync(target, { withFileTypes: true }).filter(
    (entry) => entry.isDirectory() && entry.name !== "__MACOSX",
  );
  const only = folders.length === 1 ? path.join(target, folders[0]?.name ?? "") : null;
  return only && existsSync(path.join(only, "model_index.json")) ? only : target;
}
