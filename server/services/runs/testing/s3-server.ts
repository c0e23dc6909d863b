/**
 * A real S3-compatible server for tests: s3rver on a free loopback port, storing into a fresh temporary folder,
 * with one bucket already made. `env` is what a process needs to use it as its artifact store (the DNO_S3_*
 * variables of server/env.ts), so a test can hand it to the store directly or to a child process.
 *
 *   const s3 = await startS3Server();
 *   try { … getArtifactStore(s3.env) … } finally { await s3.stop(); }
 *
 * Shared by the artifact-store tests and the cluster chaos test: keep this API stable.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import S3rver from "s3rver";

export interface TestS3Server {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Where s3rver keeps the bucket's objects (removed by stop()). */
  directory: string;
  /** The DNO_S3_* variables that point the artifact store at this server (path-style, with credentials). */
  env: Record<string, string>;
  /** Closes the server and removes its folder; safe to call twice. */
  stop(): Promise<void>;
}

/** s3rver accepts only its own fixed credentials. */
const ACCESS_KEY_ID = "S3RVER";
const SECRET_ACCESS_KEY = "S3RVER";

export async function startS3Server(
  options: { bucket?: string; prefix?: string; port?: number } = {},
): Promise<TestS3Server> {
  const bucket = options.bucket ?? "dno-test-artifacts";
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "dno-s3rver-"));
  const server = new S3rver({
    address: "127.0.0.1",
    // 0: the system picks a free port.
    port: options.port ?? 0,
    silent: true,
    directory,
    // Buckets are addressed by path (DNO_S3_FORCE_PATH_STYLE), never by a virtual host name.
    vhostBuckets: false,
    configureBuckets: [{ name: bucket }],
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const region = "us-east-1";
  let stopped = false;
  return {
    endpoint,
    bucket,
    region,
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET_ACCESS_KEY,
    directory,
    env: {
      DNO_S3_BUCKET: bucket,
      DNO_S3_ENDPOINT: endpoint,
      DNO_S3_REGION: region,
      DNO_S3_ACCESS_KEY_ID: ACCESS_KEY_ID,
      DNO_S3_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
      DNO_S3_FORCE_PATH_STYLE: "true",
      ...(options.prefix ? { DNO_S3_PREFIX: options.prefix } : {}),
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.close().catch(() => undefined);
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
