/**
 * Streams an upload body to a temporary file in the asset store, hashing it on the way and stopping as soon
 * as it passes the size limit (the body is never held in memory, and an oversize body is not read to its end).
 */
import { createHash, randomUUID } from "node:crypto";
import { createWriteStream, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { formatBytes } from "@/server/http/body-limit";
import { assetTempDir } from "./asset-store";

export interface ReceivedUpload {
  /** Absolute temporary file; the caller moves it into place or deletes it. */
  file: string;
  sha256: string;
  byteSize: number;
}

export class UploadTooLargeError extends Error {
  override name = "UploadTooLargeError";
  constructor(
    readonly limit: number,
    readonly variable: string,
    what: string,
  ) {
    super(
      `The file is larger than the upload limit for ${what} of ${formatBytes(limit)}. ` +
        `Upload a smaller file, or raise ${variable} on the server.`,
    );
  }
}

export async function receiveUpload(
  body: ReadableStream<Uint8Array>,
  options: { limit: number; variable: string; what: string; dataDir?: string },
): Promise<ReceivedUpload> {
  const dir = assetTempDir(options.dataDir);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${randomUUID()}.part`);
  const out = createWriteStream(file, { flags: "wx" });
  const hash = createHash("sha256");
  let byteSize = 0;
  const reader = body.getReader();
  const write = (chunk: Uint8Array) =>
    new Promise<void>((resolve, reject) => {
      out.write(chunk, (error) => (error ? reject(error) : resolve()));
    });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      byteSize += value.byteLength;
      if (byteSize > options.limit) {
        await reader.cancel().catch(() => undefined);
        throw new UploadTooLargeError(options.limit, options.variable, options.what);
      }
      hash.update(value);
      await write(value);
    }
    await new Promise<void>((resolve, reject) => {
      out.end((error?: Error | null) => (error ? reject(error) : resolve()));
    });
  } catch (error) {
    out.destroy();
    rmSync(file, { force: true });
    throw error;
  }
  return { file, sha256: hash.digest("hex"), byteSize };
}
