/**
 * The S3 artifact store against a real S3-compatible server (s3rver, started here on a free port): put, get,
 * verified get, delete; an object changed behind the store's back reads as "corrupt", a gone one as "missing";
 * readiness and its sentences for a wrong bucket, refused credentials and an unreachable service.
 */
import { createHash } from "node:crypto";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getEnv } from "../../env";
import { getArtifactStore } from "./artifact-store";
import { S3ArtifactStore } from "./artifact-store-s3";
import { ArtifactFileUnavailable, ArtifactStoreUnavailable } from "./artifact-store-types";
import { startS3Server, type TestS3Server } from "./testing/s3-server";

let s3: TestS3Server;
let raw: S3Client;

beforeAll(async () => {
  s3 = await startS3Server({ prefix: "studio/test" });
  // A second client that changes objects behind the store's back.
  raw = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
});
afterAll(async () => {
  raw?.destroy();
  await s3?.stop();
});

function store(overrides: Record<string, string> = {}): S3ArtifactStore {
  const settings = getEnv({ ...s3.env, ...overrides }).s3;
  if (!settings) throw new Error("the test server's env names no bucket");
  return new S3ArtifactStore(settings);
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

async function overwrite(objectKey: string, bytes: Uint8Array): Promise<void> {
  await raw.send(new PutObjectCommand({ Bucket: s3.bucket, Key: objectKey, Body: bytes }));
}

async function reason(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ArtifactFileUnavailable);
  return (error as ArtifactFileUnavailable).reason;
}

describe("S3ArtifactStore on s3rver", () => {
  it("DNO_S3_BUCKET selects it; without it the local folder", () => {
    expect(getArtifactStore(s3.env).kind).toBe("s3");
    expect(getArtifactStore(s3.env)).toBe(getArtifactStore(s3.env));
    expect(getArtifactStore({ DNO_DATA_DIR: s3.directory }).kind).toBe("local");
  });

  it("puts under the prefix, gets, verifies and deletes", async () => {
    const artifacts = store();
    const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) % 251);
    const file = await artifacts.put("run-1", "00000.png", bytes);
    expect(file).toEqual({ storageKey: "run-1/00000.png", byteSize: bytes.length, sha256: sha256(bytes) });

    const stored = await raw.send(
      new GetObjectCommand({ Bucket: s3.bucket, Key: "studio/test/run-1/00000.png" }),
    );
    expect(stored.ContentType).toBe("image/png");
    expect(stored.Metadata?.sha256).toBe(sha256(bytes));
    expect(Buffer.from((await stored.Body?.transformToByteArray()) ?? []).equals(Buffer.from(bytes))).toBe(
      true,
    );

    expect((await artifacts.get(file.storageKey)).equals(Buffer.from(bytes))).toBe(true);
    expect((await artifacts.getVerified(file.storageKey, file)).equals(Buffer.from(bytes))).toBe(true);

    // Overwriting a key (a resumed run records an iteration again) replaces the object whole.
    const again = await artifacts.put("run-1", "00000.png", bytes.subarray(0, 10));
    expect((await artifacts.getVerified(again.storageKey, again)).length).toBe(10);

    await artifacts.delete(file.storageKey);
    expect(await reason(artifacts.getVerified(file.storageKey, file))).toBe("missing");
    expect(await reason(artifacts.get(file.storageKey))).toBe("missing");
    // Deleting what is already gone is fine.
    await artifacts.delete(file.storageKey);
  });

  it("an object changed, grown or shrunk behind the store's back is corrupt", async () => {
    const artifacts = store();
    const bytes = Uint8Array.from({ length: 4096 }, (_, i) => i % 256);
    const changed = Uint8Array.from(bytes);
    changed[100] = (changed[100] ?? 0) ^ 0xff;
    const grown = new Uint8Array(bytes.length + 5000);
    grown.set(bytes);
    for (const [name, replacement] of [
      ["changed.bin", changed],
      ["grown.bin", grown],
      ["shrunk.bin", bytes.subarray(0, 100)],
      ["emptied.bin", new Uint8Array(0)],
    ] as const) {
      const file = await artifacts.put("run-2", name, bytes);
      await overwrite(`studio/test/${file.storageKey}`, replacement);
      expect(await reason(artifacts.getVerified(file.storageKey, file))).toBe("corrupt");
    }
  });

  it("refuses keys that are not a run artifact's", async () => {
    const artifacts = store();
    await expect(artifacts.put("..", "x.png", new Uint8Array(1))).rejects.toThrow(/Unsafe artifact name/);
    await expect(artifacts.put("run", "a/b.png", new Uint8Array(1))).rejects.toThrow(/Unsafe artifact name/);
    await expect(artifacts.get("../../etc/passwd")).rejects.toThrow(/not a run artifact's key/);
    await expect(artifacts.delete("run/x/y")).rejects.toThrow(/not a run artifact's key/);
  });

  it("check() passes on the bucket and says what to check otherwise, never a secret", async () => {
    await store().check();

    const noBucket = store({ DNO_S3_BUCKET: "no-such-bucket" });
    await expect(noBucket.check()).rejects.toThrow(
      /^Could not reach the bucket “no-such-bucket” at http:\/\/127\.0\.0\.1:\d+ \(.*HTTP 404\): the bucket does not exist: create it \(MinIO: mc mb\) or correct DNO_S3_BUCKET\.$/,
    );

    const wrongKeys = store({
      DNO_S3_ACCESS_KEY_ID: "intruder",
      DNO_S3_SECRET_ACCESS_KEY: "wrong-secret-123",
    });
    const refused = await wrongKeys.check().then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ArtifactStoreUnavailable);
    expect((refused as Error).message).toContain("the credentials were refused: check DNO_S3_ACCESS_KEY_ID");
    expect((refused as Error).message).not.toContain("wrong-secret-123");
    // A write with refused credentials fails the same way, naming the key it was writing.
    await expect(wrongKeys.put("run-3", "00000.png", new Uint8Array(3))).rejects.toThrow(
      /^Could not write run-3\/00000\.png to the bucket “dno-test-artifacts”.*credentials were refused/,
    );

    const closed = await startS3Server();
    const gone = store({ DNO_S3_ENDPOINT: closed.endpoint });
    await closed.stop();
    const started = Date.now();
    await expect(gone.check()).rejects.toThrow(
      /: the service could not be reached: check DNO_S3_ENDPOINT \(and DNO_S3_REGION\), the network, and that the service is running\.$/,
    );
    // Readiness answers within its own timeout even after the SDK's retries.
    expect(Date.now() - started).toBeLessThan(10_000);
    for (const artifacts of [noBucket, wrongKeys, gone]) artifacts.destroy();
  });
});
