/**
 * A run's artifacts through the S3 store (DNO_S3_* pointing at s3rver): recorded iteration images and
 * checkpoints land in the bucket (nothing in the data folder), read back verified, the stale checkpoint's
 * object goes, and the artifact route serves the image (410 when the object is changed or gone, a sentence
 * naming the artifact storage when the service cannot be reached). Real SQLite, real s3rver.
 */
import fs from "node:fs";
import path from "node:path";
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleWorkflows } from "@/nodes";
import { artifactResponse } from "../../api/artifact-response";
import { encodePng } from "../../models/image";
import { testDatabaseWithDataDir } from "../test-database-with-data-dir";
import { createWorkflow } from "../workflows/create-workflow";
import { claimNextRun } from "./claim-next-run";
import { getArtifact } from "./get-artifact";
import { readCheckpoint } from "./read-checkpoint";
import { recordRunStep } from "./record-run-step";
import { startRun } from "./start-run";
import { startS3Server, type TestS3Server } from "./testing/s3-server";

const fixture = testDatabaseWithDataDir("dno-s3-runs-");
let s3: TestS3Server;
let raw: S3Client;
const previous: Record<string, string | undefined> = {};

beforeAll(async () => {
  s3 = await startS3Server({ prefix: "runs" });
  raw = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  for (const [key, value] of Object.entries(s3.env)) {
    previous[key] = process.env[key];
    process.env[key] = value;
  }
});
afterAll(async () => {
  for (const [key, value] of Object.entries(previous)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  raw?.destroy();
  await s3?.stop();
});

async function objectKeys(prefix: string): Promise<string[]> {
  const listed = await raw.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((object) => object.Key ?? "").sort();
}

const PNG = encodePng({ width: 2, height: 1, data: new Uint8Array([255, 0, 0, 0, 0, 255]) });
const metrics = (iteration: number) => ({
  iteration,
  rewards: {},
  guards: {},
  pr: null,
  objective: iteration,
  gradNorm: 0,
  ms: {},
});

/** A claimed run of the brighten example. */
async function claimedRun(): Promise<string> {
  const example = exampleWorkflows.find((candidate) => candidate.slug === "brighten-with-a-guard");
  if (!example) throw new Error("the brighten example is missing");
  const ctx = fixture.database.ctx;
  const workflow = await createWorkflow(ctx, { name: "S3 run", document: example.document });
  const { run } = await startRun(ctx, {
    workflowId: workflow.id,
    versionId: workflow.headVersion.id,
    checkpointEvery: 1,
  });
  const claimed = await claimNextRun(ctx, { workerId: "s3-worker", device: "cpu" });
  expect(claimed?.id).toBe(run.id);
  return run.id;
}

async function record(runId: string, iteration: number, checkpoint: Uint8Array) {
  return recordRunStep(fixture.database.ctx, {
    runId,
    workerId: "s3-worker",
    metrics: metrics(iteration),
    elapsedMs: 1,
    image: { png: PNG, width: 2, height: 1 },
    checkpoint,
  });
}

async function get(id: string): Promise<Response> {
  return artifactResponse(new Request(`http://localhost/api/artifacts/${id}`), fixture.database.ctx, id);
}

describe("run artifacts in S3", () => {
  it("records images and checkpoints in the bucket, reads them back verified, drops the stale checkpoint", async () => {
    const runId = await claimedRun();
    const first = await record(runId, 0, Uint8Array.from([1, 2, 3, 4]));
    const second = await record(runId, 1, Uint8Array.from([5, 6, 7, 8, 9]));

    expect(await objectKeys(`runs/${runId}/`)).toEqual([
      `runs/${runId}/00000.png`,
      `runs/${runId}/00001.png`,
      `runs/${runId}/checkpoint-00001.bin`,
    ]);
    expect(fs.existsSync(path.join(fixture.dataDir, "artifacts"))).toBe(false);

    expect(
      Array.from(
        await readCheckpoint(fixture.database.ctx, { artifactId: second.checkpointArtifactId ?? "" }),
      ),
    ).toEqual([5, 6, 7, 8, 9]);
    const image = await getArtifact(fixture.database.ctx, { artifactId: first.imageArtifactId ?? "" });
    expect(Buffer.from(image.bytes).equals(Buffer.from(PNG))).toBe(true);

    // A checkpoint changed in the bucket is refused, as on disk.
    await raw.send(
      new PutObjectCommand({
        Bucket: s3.bucket,
        Key: `runs/${runId}/checkpoint-00001.bin`,
        Body: Uint8Array.from([5, 6, 7, 8, 0]),
      }),
    );
    await expect(
      readCheckpoint(fixture.database.ctx, { artifactId: second.checkpointArtifactId ?? "" }),
    ).rejects.toMatchObject({ code: "GONE", message: expect.stringContaining("checkpoint file is damaged") });
    await raw.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: `runs/${runId}/checkpoint-00001.bin` }));
    await expect(
      readCheckpoint(fixture.database.ctx, { artifactId: second.checkpointArtifactId ?? "" }),
    ).rejects.toMatchObject({
      code: "GONE",
      message:
        "The run's checkpoint file is missing from the artifact storage, so the run cannot continue from it. Start the workflow again.",
    });
  });

  it("the artifact route serves an S3-backed image; changed or gone → 410; unreachable → 500 naming the storage", async () => {
    const runId = await claimedRun();
    const recorded = await record(runId, 0, Uint8Array.from([1]));
    const id = recorded.imageArtifactId ?? "";

    const served = await get(id);
    expect(served.status).toBe(200);
    expect(served.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await served.arrayBuffer()).equals(Buffer.from(PNG))).toBe(true);

    const key = `runs/${runId}/00000.png`;
    const damaged = Buffer.from(PNG);
    damaged[damaged.length - 5] = (damaged[damaged.length - 5] ?? 0) ^ 0xff;
    await raw.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: damaged }));
    const corrupt = await get(id);
    expect(corrupt.status).toBe(410);
    expect(await corrupt.json()).toEqual({
      error:
        "This image's file is damaged: its contents no longer match what the run wrote. Run the workflow again to make a new one.",
    });

    await raw.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: key }));
    const missing = await get(id);
    expect(missing.status).toBe(410);
    expect(await missing.json()).toEqual({
      error:
        "This image's file is missing from the artifact storage. Run the workflow again to make a new one.",
    });

    const down = await startS3Server();
    await down.stop();
    const endpoint = process.env.DNO_S3_ENDPOINT;
    process.env.DNO_S3_ENDPOINT = down.endpoint;
    const logged: unknown[] = [];
    const originalError = console.error;
    console.error = (...args: unknown[]) => logged.push(...args);
    try {
      const unreachable = await get(id);
      expect(unreachable.status).toBe(500);
      expect(await unreachable.json()).toEqual({
        error:
          "The image could not be read from the artifact storage. Try again; if it keeps failing, tell the administrator.",
      });
      // The server log names the bucket and what to check.
      expect(String(logged.find((entry) => entry instanceof Error))).toContain(
        `bucket “${s3.bucket}” at ${down.endpoint}`,
      );
    } finally {
      console.error = originalError;
      process.env.DNO_S3_ENDPOINT = endpoint;
    }
  });
});
