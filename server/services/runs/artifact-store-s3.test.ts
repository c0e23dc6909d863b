/**
 * The S3 artifact store against a real S3-compatible server (s3rver, started here on a free port): put, get,
 * verified get, delete; an object changed behind the store's back reads as "corrupt", a gone one as "missing";
 * a body cut off mid-read is fetched again (through a proxy that drops connections); readiness and its
 * sentences for a wrong bucket, refused credentials and an unreachable service.
 */
import { createHash } from "node:crypto";
import net from "node:net";
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

/**
 * A TCP proxy in front of s3rver that, when told to, cuts the next responses off after some bytes (the
 * connection drops mid-body, as a flaky network or a restarting load balancer would).
 */
async function cuttingProxy(targetPort: number) {
  let toCut = 0;
  let cutAfter = 0;
  const state = { cuts: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, "127.0.0.1");
    sockets.add(client).add(upstream);
    let sent = 0;
    let cutting = false;
    client.on("data", (chunk) => {
      // A new request on this connection: decide whether its response is cut.
      if (!cutting && toCut > 0) {
        toCut -= 1;
        cutting = true;
        sent = 0;
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (!cutting) return void client.write(chunk);
      const room = cutAfter - sent;
      sent += chunk.length;
      if (room > chunk.length) return void client.write(chunk);
      client.write(chunk.subarray(0, Math.max(0, room)));
      state.cuts += 1;
      client.destroy();
      upstream.destroy();
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get cuts() {
      return state.cuts;
    },
    cutNextResponses(count: number, afterBytes: number) {
      toCut = count;
      cutAfter = afterBytes;
      state.cuts = 0;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
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

  it("a body cut off mid-read is fetched again; a connection cut every time ends in a sentence", async () => {
    const proxy = await cuttingProxy(Number(new URL(s3.endpoint).port));
    try {
      const artifacts = store({ DNO_S3_ENDPOINT: `http://127.0.0.1:${proxy.port}` });
      const bytes = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7) % 256);
      const file = await artifacts.put("run-4", "checkpoint-00000.bin", bytes);

      proxy.cutNextResponses(1, 50_000);
      expect((await artifacts.getVerified(file.storageKey, file)).equals(Buffer.from(bytes))).toBe(true);
      expect(proxy.cuts).toBe(1);

      proxy.cutNextResponses(100, 50_000);
      const error = await artifacts.getVerified(file.storageKey, file).then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(ArtifactStoreUnavailable);
      expect((error as Error).message).toMatch(
        /^Could not read run-4\/checkpoint-00000\.bin from the bucket “dno-test-artifacts” at http:\/\/127\.0\.0\.1:\d+ \(/,
      );
      // Three tries of the body, no more.
      expect(proxy.cuts).toBe(3);
      artifacts.destroy();
    } finally {
      await proxy.close();
    }
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
