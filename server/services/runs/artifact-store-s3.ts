/**
 * Artifacts in an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2, …) through @aws-sdk/client-s3, for
 * deployments whose web servers and workers run on different machines. Object key = DNO_S3_PREFIX +
 * `<runId>/<file>`. A PUT is atomic (readers never see half an object); reads are capped at the expected size
 * and verified like local files; the SDK retries throttling, 5xx and connection failures, and a body that breaks
 * off mid-read is fetched again. Errors for people name the bucket and what to check, never a credential.
 */
import { createHash } from "node:crypto";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import type { S3Settings } from "../../env";
import {
  type ArtifactStore,
  ArtifactFileUnavailable,
  ArtifactStoreUnavailable,
  artifactContentType,
  artifactKey,
  assertArtifactKey,
  type StoredFile,
} from "./artifact-store-types";

/** Attempts per request (the SDK's standard retry mode: exponential backoff with jitter). */
const MAX_ATTEMPTS = 4;
/** A body that breaks off while being read is fetched again this many times in all. */
const BODY_ATTEMPTS = 3;
/** Readiness must answer fast even when the service hangs. */
const CHECK_TIMEOUT_MS = 3_000;
const CONNECTION_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 60_000;

/** What an SDK or socket error says about itself, without anything secret. */
function describeError(error: unknown): { status: number | undefined; code: string } {
  if (error instanceof S3ServiceException) {
    return { status: error.$metadata.httpStatusCode, code: error.name };
  }
  if (error instanceof Error) {
    const code = "code" in error && typeof error.code === "string" ? error.code : error.name;
    return { status: undefined, code };
  }
  return { status: undefined, code: "unknown error" };
}

function isMissing(error: unknown): boolean {
  const { status, code } = describeError(error);
  return code === "NoSuchKey" || (status === 404 && code !== "NoSuchBucket");
}

/** Failures of the connection itself (nothing answered, or too late). */
const NETWORK_CODES =
  /^(ECONNRESET|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|EPIPE|ERR_STREAM_PREMATURE_CLOSE|TimeoutError|RequestTimeout|AbortError)$/;

/** A body read that failed for a reason another try may not meet (the connection, not the object). */
function isTransient(error: unknown): boolean {
  if (error instanceof ArtifactFileUnavailable || error instanceof ArtifactStoreUnavailable) return false;
  const { status, code } = describeError(error);
  if (status !== undefined) return status >= 500 || status === 429;
  return NETWORK_CODES.test(code);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

type Body = NonNullable<GetObjectCommandOutput["Body"]>;

function asChunks(body: Body): AsyncIterable<Uint8Array> {
  if (Symbol.asyncIterator in body) return body as AsyncIterable<Uint8Array>;
  throw new Error("The S3 client returned a body that cannot be streamed.");
}

export class S3ArtifactStore implements ArtifactStore {
  readonly kind = "s3";
  readonly place = "the artifact storage";
  private readonly client: S3Client;

  constructor(readonly settings: S3Settings) {
    this.client = new S3Client({
      region: settings.region,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      forcePathStyle: settings.forcePathStyle,
      // Neither key set: the SDK's default chain (AWS_* variables, profile, instance or pod role).
      ...(settings.credentials ? { credentials: settings.credentials } : {}),
      maxAttempts: MAX_ATTEMPTS,
      requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
      // Checksums only where S3 requires them: many S3-compatible services do not know the newer checksum
      // headers, and every read is verified against the recorded sha256 anyway.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
  }

  /** "bucket “dno” at http://minio:9000" (the endpoint holds no credentials: server/env.ts refuses them). */
  describeBucket(): string {
    const where = this.settings.endpoint ?? `AWS S3 (${this.settings.region})`;
    return `bucket “${this.settings.bucket}” at ${where}`;
  }

  private objectKey(storageKey: string): string {
    assertArtifactKey(storageKey);
    return `${this.settings.prefix}${storageKey}`;
  }

  /** A sentence for the people running the server: what failed, in which bucket, and what to check. */
  private unavailable(action: string, error: unknown): ArtifactStoreUnavailable {
    const { status, code } = describeError(error);
    const answered = status === undefined ? code : `${code}, HTTP ${status}`;
    let check: string;
    if (
      status === 401 ||
      status === 403 ||
      /AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch/.test(code)
    ) {
      check =
        "the credentials were refused: check DNO_S3_ACCESS_KEY_ID and DNO_S3_SECRET_ACCESS_KEY (or the AWS " +
        "default credentials) and that they may read, write and delete objects in the bucket";
    } else if (code === "NoSuchBucket" || (status === 404 && code === "NotFound")) {
      check = "the bucket does not exist: create it (MinIO: mc mb) or correct DNO_S3_BUCKET";
    } else if (status === undefined && NETWORK_CODES.test(code)) {
      check =
        "the service could not be reached: check DNO_S3_ENDPOINT (and DNO_S3_REGION), the network, and that " +
        "the service is running";
    } else {
      check = "check the storage service's own log and the server log";
    }
    return new ArtifactStoreUnavailable(
      `Could not ${action} the ${this.describeBucket()} (${answered}): ${check}.`,
      { cause: error },
    );
  }

  async put(runId: string, fileName: string, bytes: Uint8Array): Promise<StoredFile> {
    const storageKey = artifactKey(runId, fileName);
    const key = this.objectKey(storageKey);
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.settings.bucket,
          Key: key,
          Body: bytes,
          ContentLength: bytes.byteLength,
          ContentType: artifactContentType(fileName),
          // The service refuses a body that arrived damaged (BadDigest) instead of storing it.
          ContentMD5: createHash("md5").update(bytes).digest("base64"),
          Metadata: { sha256 },
        }),
      );
    } catch (error) {
      throw this.unavailable(`write ${storageKey} to`, error);
    }
    return { storageKey, byteSize: bytes.byteLength, sha256 };
  }

  private async open(storageKey: string): Promise<Body | null> {
    const key = this.objectKey(storageKey);
    try {
      const output = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: key }));
      return output.Body ?? null;
    } catch (error) {
      if (isMissing(error)) throw new ArtifactFileUnavailable("missing", storageKey);
      throw this.unavailable(`read ${storageKey} from`, error);
    }
  }

  /** Runs one read, again when its body broke off (the SDK has already retried the request itself). */
  private async withBodyRetries<T>(storageKey: string, read: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await read();
      } catch (error) {
        if (!isTransient(error)) throw error;
        if (attempt >= BODY_ATTEMPTS) throw this.unavailable(`read ${storageKey} from`, error);
        await sleep(100 * 2 ** attempt);
      }
    }
  }

  async get(storageKey: string): Promise<Buffer> {
    return this.withBodyRetries(storageKey, async () => {
      const body = await this.open(storageKey);
      if (!body) return Buffer.alloc(0);
      const chunks: Uint8Array[] = [];
      for await (const chunk of asChunks(body)) chunks.push(chunk);
      return Buffer.concat(chunks);
    });
  }

  async getVerified(storageKey: string, expected: { byteSize: number; sha256: string }): Promise<Buffer> {
    return this.withBodyRetries(storageKey, async () => {
      const body = await this.open(storageKey);
      const bytes = Buffer.alloc(expected.byteSize);
      const hash = createHash("sha256");
      let total = 0;
      if (body) {
        // Leaving the loop early closes the connection: an object larger than recorded is never read whole.
        for await (const chunk of asChunks(body)) {
          if (total + chunk.byteLength > expected.byteSize)
            throw new ArtifactFileUnavailable("corrupt", storageKey);
          bytes.set(chunk, total);
          hash.update(chunk);
          total += chunk.byteLength;
        }
      }
      if (total !== expected.byteSize || hash.digest("hex") !== expected.sha256) {
        throw new ArtifactFileUnavailable("corrupt", storageKey);
      }
      return bytes;
    });
  }

  async delete(storageKey: string): Promise<void> {
    const key = this.objectKey(storageKey);
    try {
      // S3 answers 204 for a key that is already gone.
      await this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: key }));
    } catch (error) {
      throw this.unavailable(`delete ${storageKey} from`, error);
    }
  }

  /** HEAD on the bucket: answers within a few seconds whether it exists and the credentials reach it. */
  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.settings.bucket }), {
        abortSignal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
      });
    } catch (error) {
      throw this.unavailable("reach", error);
    }
  }

  /** Closes the client's sockets (tests, shutdown). */
  destroy(): void {
    this.client.destroy();
  }
}
