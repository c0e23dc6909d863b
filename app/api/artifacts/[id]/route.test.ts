/**
 * The artifact route serves a file only when it still matches the size and sha256 stored when the run wrote
 * it; a damaged or missing file answers 410 with a sentence for people (also with ?download=1), never a
 * silent 200 or an empty 500. Images follow their workflow's access: an anonymous request is asked to sign in
 * (401), a stranger hears 404 exactly as for an unknown id, a viewer gets the image. Real SQLite (through the
 * app's own DATABASE_URL) and real files.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleWorkflows } from "@/nodes";
import { getDb } from "@/server/db/client";
import { ensureDatabaseReady } from "@/server/db/ready";
import { encodePng } from "@/server/models/image";
import { artifactRoot } from "@/server/services/runs/artifact-store";
import { claimNextRun } from "@/server/services/runs/claim-next-run";
import { recordRunStep } from "@/server/services/runs/record-run-step";
import { startRun } from "@/server/services/runs/start-run";
import { artifactResponse } from "@/server/api/artifact-response";
import { type Actor, type ServiceContext, userActor } from "@/server/services/context";
import { createTestUser } from "@/server/services/test-database";
import { createWorkflow } from "@/server/services/workflows/create-workflow";
import { GET } from "./route";

const previous = { data: process.env.DNO_DATA_DIR, db: process.env.DATABASE_URL };
let dataDir: string;
let ctx: ServiceContext;
let stranger: Actor;
let viewer: Actor;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "dno-artifact-route-"));
  process.env.DNO_DATA_DIR = dataDir;
  process.env.DATABASE_URL = `file:${path.join(dataDir, "test.db")}`;
  // The same call the route makes (memoized per URL), so migrations run once.
  await ensureDatabaseReady();
  const owner = await createTestUser(getDb(), { name: "Owner", email: "owner@artifacts.test" });
  ctx = { db: getDb(), actor: userActor(owner.id, "user") };
  stranger = userActor((await createTestUser(getDb(), { name: "S", email: "s@artifacts.test" })).id, "user");
  viewer = userActor((await createTestUser(getDb(), { name: "V", email: "v@artifacts.test" })).id, "user");
});
afterAll(async () => {
  await getDb().$disconnect();
  fs.rmSync(dataDir, { recursive: true, force: true });
  for (const [key, value] of [
    ["DNO_DATA_DIR", previous.data],
    ["DATABASE_URL", previous.db],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

/** A run with one recorded iteration image; answers the image artifact's id and its file. */
async function recordedImage(): Promise<{ id: string; file: string; png: Buffer }> {
  const example = exampleWorkflows.find((candidate) => candidate.slug === "brighten-with-a-guard");
  if (!example) throw new Error("the brighten example is missing");
  const workflow = await createWorkflow(ctx, { name: "Artifacts", document: example.document });
  const { run } = await startRun(ctx, {
    workflowId: workflow.id,
    versionId: workflow.headVersion.id,
    checkpointEvery: 1,
  });
  const claimed = await claimNextRun(ctx, { workerId: "test-worker", device: "cpu" });
  expect(claimed?.id).toBe(run.id);
  const png = encodePng({
    width: 2,
    height: 2,
    data: new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]),
  });
  const recorded = await recordRunStep(ctx, {
    runId: run.id,
    workerId: "test-worker",
    metrics: { iteration: 0, rewards: {}, guards: {}, pr: null, objective: 0, gradNorm: 0, ms: {} },
    elapsedMs: 1,
    image: { png, width: 2, height: 2 },
    checkpoint: null,
  });
  const id = recorded.imageArtifactId ?? "";
  const artifact = await ctx.db.artifact.findUniqueOrThrow({ where: { id } });
  return { id, file: path.join(artifactRoot(), artifact.storageKey), png };
}

/** As the workflow's owner unless another actor is given. */
async function get(id: string, download = false, actor: Actor = ctx.actor): Promise<Response> {
  const url = `http://localhost/api/artifacts/${id}${download ? "?download=1" : ""}`;
  return artifactResponse(new Request(url), { db: getDb(), actor }, id);
}

const CORRUPT =
  "This image's file is damaged: its contents no longer match what the run wrote. Run the workflow again to make a new one.";
const MISSING =
  "This image's file is missing from the data folder. Run the workflow again to make a new one.";

describe("GET /api/artifacts/[id]", () => {
  it("serves an intact image, and as a download with the workflow embedded", async () => {
    const { id, png } = await recordedImage();
    const response = await get(id);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(png)).toBe(true);
    const download = await get(id, true);
    expect(download.status).toBe(200);
    expect(download.headers.get("content-disposition")).toMatch(
      /^attachment; filename="Artifacts-v1-iteration-0\.png"$/,
    );
  });

  it("a file with one byte changed answers 410 with the exact message, also for ?download=1", async () => {
    const { id, file } = await recordedImage();
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 0xff;
    fs.writeFileSync(file, bytes);
    for (const download of [false, true]) {
      const response = await get(id, download);
      expect(response.status).toBe(410);
      expect(response.headers.get("content-type")).toBe("application/json");
      expect(await response.json()).toEqual({ error: CORRUPT });
    }
  });

  it("a file that grew or shrank is damaged too", async () => {
    const grown = await recordedImage();
    fs.appendFileSync(grown.file, Buffer.from("extra"));
    expect(await (await get(grown.id)).json()).toEqual({ error: CORRUPT });
    const shrunk = await recordedImage();
    fs.truncateSync(shrunk.file, 10);
    const response = await get(shrunk.id, true);
    expect(response.status).toBe(410);
    expect(await response.json()).toEqual({ error: CORRUPT });
  });

  it("a missing file answers 410 with the exact message, also for ?download=1", async () => {
    const { id, file } = await recordedImage();
    fs.rmSync(file);
    for (const download of [false, true]) {
      const response = await get(id, download);
      expect(response.status).toBe(410);
      expect(await response.json()).toEqual({ error: MISSING });
    }
  });
});

describe("GET /api/artifacts/[id] follows the workflow's access", () => {
  it("the route itself (no session yet) asks an anonymous request to sign in", async () => {
    const { id } = await recordedImage();
    const response = await GET(new Request(`http://localhost/api/artifacts/${id}`), {
      params: Promise.resolve({ id }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: "Sign in to continue." });
  });

  it("a stranger hears 404 as for an unknown id; a viewer gets the image until the share is removed", async () => {
    const { id, png } = await recordedImage();
    const refused = await get(id, false, stranger);
    expect(refused.status).toBe(404);
    const unknown = await get("no-such-artifact", false, stranger);
    expect(unknown.status).toBe(404);
    expect((await refused.json()).error).toBe(
      ((await unknown.json()).error as string).replace("no-such-artifact", id),
    );

    const artifact = await getDb().artifact.findUniqueOrThrow({ where: { id }, include: { run: true } });
    const viewerId = viewer.userId ?? "";
    await getDb().workflowShare.create({
      data: { workflowId: artifact.run?.workflowId ?? "", userId: viewerId, role: "viewer" },
    });
    const allowed = await get(id, true, viewer);
    expect(allowed.status).toBe(200);
    expect((await get(id, false, viewer)).status).toBe(200);
    expect(Buffer.from(await (await get(id, false, viewer)).arrayBuffer()).equals(png)).toBe(true);

    await getDb().workflowShare.deleteMany({ where: { userId: viewerId } });
    expect((await get(id, false, viewer)).status).toBe(404);
  });
});
