/** Readiness of the artifact store: "ok" for a writable folder or a reachable bucket, else "unavailable" + a log line. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { getEnv } from "../../env";
import { LocalArtifactStore } from "./artifact-store-local";
import { S3ArtifactStore } from "./artifact-store-s3";
import { checkArtifactStore } from "./check-artifact-store";
import { startS3Server, type TestS3Server } from "./testing/s3-server";

let s3: TestS3Server;
let folder: string;
beforeAll(async () => {
  s3 = await startS3Server();
  folder = fs.mkdtempSync(path.join(os.tmpdir(), "dno-check-store-"));
});
afterAll(async () => {
  await s3?.stop();
  fs.rmSync(folder, { recursive: true, force: true });
});

function s3Store(overrides: Record<string, string> = {}): S3ArtifactStore {
  const settings = getEnv({ ...s3.env, ...overrides }).s3;
  if (!settings) throw new Error("no bucket");
  return new S3ArtifactStore(settings);
}

describe("checkArtifactStore", () => {
  it("a writable folder and a reachable bucket are ok", async () => {
    expect(await checkArtifactStore(new LocalArtifactStore(path.join(folder, "artifacts")))).toBe("ok");
    expect(await checkArtifactStore(s3Store())).toBe("ok");
  });

  it("a folder that cannot be made or a missing bucket is unavailable, and the log says why", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const file = path.join(folder, "a-file");
      fs.writeFileSync(file, "");
      expect(await checkArtifactStore(new LocalArtifactStore(path.join(file, "artifacts")))).toBe(
        "unavailable",
      );
      expect(String(log.mock.calls.at(-1)?.[0])).toMatch(
        /^Not ready: The artifacts folder in the data folder cannot be written \(/,
      );
      expect(String(log.mock.calls.at(-1)?.[0])).not.toContain(folder);

      const missing = s3Store({ DNO_S3_BUCKET: "missing-bucket" });
      expect(await checkArtifactStore(missing)).toBe("unavailable");
      expect(String(log.mock.calls.at(-1)?.[0])).toContain("bucket “missing-bucket”");
      // The same reason again within the minute is not logged again.
      const calls = log.mock.calls.length;
      expect(await checkArtifactStore(missing)).toBe("unavailable");
      expect(log.mock.calls.length).toBe(calls);
      missing.destroy();
    } finally {
      log.mockRestore();
    }
  });
});
