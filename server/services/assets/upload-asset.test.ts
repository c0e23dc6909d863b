/**
 * Uploads through the real endpoint logic (handleUpload: streamed body, size cap, hash, validation, store)
 * on a real SQLite database and a temporary data folder. Each refusal asserts the exact message and that
 * nothing was kept: no row, no file in the store, no temporary leftovers.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { exampleWorkflows, type GraphDocument } from "@/nodes";
import { createCaller } from "@/server/api/root";
import { assetLocation, assetRoot } from "@/server/assets/asset-store";
import { handleUpload, uploadLimit } from "@/server/assets/handle-upload";
import { lengthDelimited, readModelSkeleton, varintField } from "@/server/autodiff/proto-skeleton";
import { getEnv } from "@/server/env";
import { tinyScorer } from "@/server/assets/testing/tiny-scorer";
import { writeZip, type ZipEntrySpec } from "@/server/assets/testing/zip-writer";
import { repoRoot } from "@/server/db/repo-root";
import { resolveModelDir } from "@/server/models/discovery";
import { AppError } from "../../errors";
import { createTestDatabase, type TestDatabase } from "../test-database";
import { findMissingReferences } from "../workflows/check-references";
import { createWorkflow } from "../workflows/create-workflow";
import { deleteAsset } from "./delete-asset";
import { listAssets } from "./list-assets";

let database: TestDatabase;
let dataDir: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  database = await createTestDatabase();
  dataDir = mkdtempSync(path.join(tmpdir(), "dno-assets-"));
  process.env.DNO_DATA_DIR = dataDir;
});
afterAll(async () => {
  process.env = savedEnv;
  await database.close();
});
beforeEach(async () => {
  delete process.env.MAX_SCORER_UPLOAD_BYTES;
  delete process.env.MAX_UNZIPPED_MODEL_BYTES;
  await database.db.asset.deleteMany();
  rmSync(assetRoot(dataDir), { recursive: true, force: true });
});

function uploadRequest(
  kind: string,
  name: string,
  bytes: Uint8Array,
  options: { declareLength?: boolean } = {},
): Request {
  const url = `http://localhost/api/uploads?kind=${encodeURIComponent(kind)}&name=${encodeURIComponent(name)}`;
  if (options.declareLength === false) {
    // A streamed body without Content-Length: the cap must cut it off while reading.
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < bytes.length; at += 1000) controller.enqueue(bytes.slice(at, at + 1000));
        controller.close();
      },
    });
    return new Request(url, { method: "POST", body, duplex: "half" } as RequestInit);
  }
  return new Request(url, {
    method: "POST",
    body: new Uint8Array(bytes),
    headers: { "content-length": String(bytes.length) },
  });
}

async function upload(
  kind: string,
  name: string,
  bytes: Uint8Array,
  options: { declareLength?: boolean } = {},
) {
  const response = await handleUpload(uploadRequest(kind, name, bytes, options), database.ctx, {
    checkHost: false,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Every file under the asset store (temporary ones included). */
function storedFiles(dir = assetRoot(dataDir)): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const full = path.join(dir, entry);
    return statSync(full).isDirectory() ? storedFiles(full) : [full];
  });
}

async function expectNothingKept() {
  expect(await database.db.asset.count()).toBe(0);
  expect(storedFiles()).toEqual([]);
}

describe("scorer uploads", () => {
  it("keeps a valid scorer under its hash, and dedupes a second upload of the same bytes", async () => {
    const bytes = tinyScorer();
    const first = await upload("scorer", "my scorer.onnx", bytes);
    expect(first.status).toBe(201);
    const asset = first.body.asset as { id: string; sha256: string; name: string; byteSize: number };
    expect(asset).toMatchObject({
      name: "my scorer.onnx",
      byteSize: bytes.length,
      kind: "scorer",
      usedBy: [],
    });
    expect(first.body.asset).toMatchObject({
      summary: { opset: 17, input: { shape: "[batch, 3, h, w]" }, output: { shape: "[batch, 1]" } },
    });
    const stored = assetLocation("scorer", asset.sha256, dataDir);
    expect(readFileSync(stored).equals(Buffer.from(bytes))).toBe(true);
    const again = await upload("scorer", "copy.onnx", bytes);
    expect(again).toMatchObject({ status: 200, body: { existing: true, asset: { id: asset.id } } });
    expect(await database.db.asset.count()).toBe(1);
    expect(storedFiles()).toEqual([stored]);
  });

  it.each([
    [
      "not ONNX at all",
      "notes.onnx",
      new TextEncoder().encode("hello, I am a text file and not a model"),
      "“notes.onnx” is not an ONNX model (it could not be read as one). Export your scoring model with torch.onnx.export (or onnx.save) and upload the .onnx file.",
    ],
    [
      "a four-channel input",
      "rgba.onnx",
      tinyScorer({ inputShape: ["batch", 4, "h", "w"] }),
      "“rgba.onnx”'s input “pixels” is shaped [batch, 4, h, w]; a scoring model takes pictures as float32 [N, 3, H, W] (3 colour channels).",
    ],
    [
      "a flat input",
      "flat.onnx",
      tinyScorer({ inputShape: ["batch", 3] }),
      "“flat.onnx”'s input “pixels” is shaped [batch, 3]; a scoring model takes pictures as float32 [N, 3, H, W] (3 colour channels).",
    ],
    [
      "two inputs",
      "two.onnx",
      tinyScorer({ extraInput: true }),
      "“two.onnx” has 2 inputs (pixels, mask); a scoring model takes exactly one input, the pictures as [N, 3, H, W].",
    ],
    [
      "an image output",
      "image.onnx",
      tinyScorer({ outputShape: ["batch", 1, "h", "w"] }),
      "“image.onnx”'s output “score” is shaped [batch, 1, h, w]; a scoring model gives float32 scores, one per picture: [N], [N, 1] or [] (or [N, K] with “Score position” picking one).",
    ],
    [
      "an old opset",
      "old.onnx",
      tinyScorer({ opset: 11 }),
      "“old.onnx” uses ONNX opset 11; scoring models need opset 13 to 26. Export it again with opset_version=17.",
    ],
  ])("refuses %s with a clear message and keeps nothing", async (_what, name, bytes, message) => {
    const result = await upload("scorer", name, bytes);
    expect(result).toEqual({ status: 422, body: { error: message } });
    await expectNothingKept();
  });

  it("refuses a scorer over MAX_SCORER_UPLOAD_BYTES, declared or streamed, and keeps nothing", async () => {
    process.env.MAX_SCORER_UPLOAD_BYTES = "2048";
    const message =
      "The file is larger than the upload limit for scoring models of 2 KiB (2048 bytes). Upload a smaller file, or raise MAX_SCORER_UPLOAD_BYTES on the server.";
    const big = new Uint8Array(5000);
    expect(await upload("scorer", "big.onnx", big)).toEqual({ status: 413, body: { error: message } });
    expect(await upload("scorer", "big.onnx", big, { declareLength: false })).toEqual({
      status: 413,
      body: { error: message },
    });
    await expectNothingKept();
  });

  it("admits a real-size scorer by default (2 GiB cap) and refuses a larger one before reading it", async () => {
    // A ViT-L/14 aesthetic predictor is ~1.2 GB as one .onnx file; 2 GiB is protobuf's one-file limit.
    expect(uploadLimit("scorer", getEnv()).bytes).toBe(2 * 1024 ** 3);
    const request = new Request("http://localhost/api/uploads?kind=scorer&name=huge.onnx", {
      method: "POST",
      body: new Uint8Array(16),
      headers: { "content-length": String(3 * 1024 ** 3) },
    });
    const response = await handleUpload(request, database.ctx, { checkHost: false });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({
      error:
        "The file is larger than the upload limit for scoring models of 2 GiB (2147483648 bytes). Upload a smaller file, or raise MAX_SCORER_UPLOAD_BYTES on the server.",
    });
    await expectNothingKept();
  });

  it("checks a PyTorch-exported scorer from its structure and keeps its bytes as uploaded", async () => {
    const bytes = readFileSync(path.join(repoRoot(), "models/sd_arch/tiny/aesthetic/model.onnx"));
    const result = await upload("scorer", "aesthetic.onnx", bytes);
    expect(result.status).toBe(201);
    expect(result.body.asset).toMatchObject({
      summary: { opset: 14, input: { name: "pixel_values" }, output: { name: "score" } },
    });
    const { sha256 } = result.body.asset as { sha256: string };
    expect(readFileSync(assetLocation("scorer", sha256, dataDir)).equals(bytes)).toBe(true);
  });

  it("refuses a scorer whose weights are in a separate file, saying how to merge them", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "dno-external-"));
    const single = path.join(dir, "single.onnx");
    writeFileSync(single, readFileSync(path.join(repoRoot(), "models/sd_arch/tiny/aesthetic/model.onnx")));
    const external = await readModelSkeleton(single, {
      replaceRawData: () =>
        Buffer.concat([
          lengthDelimited(
            13,
            Buffer.concat([
              lengthDelimited(1, Buffer.from("location")),
              lengthDelimited(2, Buffer.from("weights.pb")),
            ]),
          ),
          varintField(14, 1),
        ]),
    });
    const result = await upload("scorer", "split.onnx", external.bytes);
    expect(result).toEqual({
      status: 422,
      body: {
        error:
          "“split.onnx” keeps its weights in a separate file (ONNX external data), which a one-file upload cannot bring along. Merge them into one .onnx file (up to 2 GB, ONNX's one-file limit): onnx.save(onnx.load(path), merged_path, save_as_external_data=False).",
      },
    });
    await expectNothingKept();
  });

  it("refuses an unknown kind or a missing name", async () => {
    for (const [kind, name] of [
      ["weights", "x.onnx"],
      ["scorer", ""],
    ] as const) {
      const result = await upload(kind, name, tinyScorer());
      expect(result.status).toBe(400);
      expect(result.body.error).toMatch(/^Say what is uploaded: \?kind=scorer/);
    }
    await expectNothingKept();
  });
});

/** The bundled model's parts, as a user would zip their export (optionally inside one folder). */
function bundledModelZip(prefix = "", skip: readonly string[] = []): Uint8Array {
  const dir = path.join(repoRoot(), "models", "tiny-shapes-sd");
  const entries: ZipEntrySpec[] = [];
  const add = (relative: string) => {
    if (skip.includes(relative)) return;
    entries.push({
      name: `${prefix}${relative}`,
      data: new Uint8Array(readFileSync(path.join(dir, relative))),
    });
  };
  add("model_index.json");
  for (const part of ["tokenizer", "text_encoder", "unet", "vae_decoder", "scheduler"]) {
    for (const file of readdirSync(path.join(dir, part))) {
      if (statSync(path.join(dir, part, file)).isFile()) add(`${part}/${file}`);
    }
  }
  return writeZip(entries);
}

describe("model uploads", () => {
  it("unpacks a diffusers ONNX .zip (inside one folder) and lists it as a model", async () => {
    const result = await upload("model", "my-model.zip", bundledModelZip("my-model/"));
    expect(result.status).toBe(201);
    const asset = result.body.asset as { sha256: string; modelId: string };
    expect(asset.modelId).toBe(`upload:${asset.sha256}`);
    const folder = assetLocation("model", asset.sha256, dataDir);
    expect(statSync(path.join(folder, "unet", "model.onnx")).isFile()).toBe(true);
    const models = await createCaller(database.ctx).models.list();
    expect(models).toContainEqual({
      id: asset.modelId,
      name: "my-model.zip",
      source: "upload",
      valid: true,
      problems: [],
      // Read from its graphs like any folder's: the test model fixes its size.
      imageSize: expect.objectContaining({ adjustable: false, defaultWidth: 64, defaultHeight: 64 }),
    });
    // A Sampler may name it: the id resolves to the stored folder and passes the reference check.
    expect(resolveModelDir(asset.modelId)).toBe(folder);
    const document = structuredClone(exampleWorkflows[0]!.document);
    Object.assign(document.nodes.find((node) => node.type === "sampler")!.params, { model: asset.modelId });
    expect(await findMissingReferences(database.ctx, document)).toEqual([]);
    // The upload's own temporary files are gone; only the model folder remains.
    expect(storedFiles().every((file) => file.startsWith(`${folder}${path.sep}`))).toBe(true);
  });

  it.each([
    [
      "an entry with ..",
      [{ name: "../evil.txt", data: new Uint8Array([1]) }],
      "“bad.zip” contains an entry with an unsafe name (an absolute path, “..” or a backslash); zip the model folder's contents again with plain relative names.",
    ],
    [
      "an absolute entry",
      [{ name: "/etc/evil", data: new Uint8Array([1]) }],
      "“bad.zip” contains an entry with an unsafe name (an absolute path, “..” or a backslash); zip the model folder's contents again with plain relative names.",
    ],
    [
      "a backslash entry",
      [{ name: "..\\..\\evil", data: new Uint8Array([1]) }],
      "“bad.zip” contains an entry with an unsafe name (an absolute path, “..” or a backslash); zip the model folder's contents again with plain relative names.",
    ],
    [
      "a symlink",
      [{ name: "unet", data: new TextEncoder().encode("/etc"), mode: 0o120777 }],
      "“bad.zip” contains a symbolic link (“unet”); only regular files and folders are accepted.",
    ],
    [
      "a device entry",
      [{ name: "zero", mode: 0o020666 }],
      "“bad.zip” contains “zero”, which is not a regular file or folder; only those are accepted.",
    ],
  ])("refuses a zip with %s and keeps nothing", async (_what, entries, message) => {
    expect(await upload("model", "bad.zip", writeZip(entries))).toEqual({
      status: 422,
      body: { error: message },
    });
    await expectNothingKept();
  });

  it("refuses a zip bomb past MAX_UNZIPPED_MODEL_BYTES and keeps nothing", async () => {
    process.env.MAX_UNZIPPED_MODEL_BYTES = String(1024 * 1024);
    const bomb = writeZip([
      { name: "unet/model.onnx", data: new Uint8Array(8 * 1024 * 1024), deflate: true },
    ]);
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(await upload("model", "bomb.zip", bomb)).toEqual({
      status: 422,
      body: {
        error:
          "“bomb.zip” unpacks to more than 1 MiB (1048576 bytes); raise MAX_UNZIPPED_MODEL_BYTES on the server to allow larger models.",
      },
    });
    await expectNothingKept();
  });

  it("refuses a zip that is not a model folder, naming what is missing, and keeps nothing", async () => {
    const result = await upload("model", "half.zip", bundledModelZip("", ["unet/model.onnx"]));
    expect(result).toEqual({
      status: 422,
      body: {
        error:
          "“half.zip” is not a usable diffusers ONNX model: unet/model.onnx: missing file unet/model.onnx. Zip a folder with model_index.json, tokenizer/, text_encoder/, unet/, vae_decoder/ and scheduler/.",
      },
    });
    await expectNothingKept();
  });

  it("refuses bytes that are not a zip", async () => {
    expect(await upload("model", "model.zip", new TextEncoder().encode("not a zip"))).toEqual({
      status: 422,
      body: {
        error:
          "“model.zip” is not a readable .zip file. Zip the model folder (model_index.json and its sub-folders) and upload that.",
      },
    });
    await expectNothingKept();
  });
});

describe("listing and deleting", () => {
  function documentUsing(scorerId: string): GraphDocument {
    const document = structuredClone(exampleWorkflows[0]!.document);
    const reward = document.nodes.find((node) => node.type === "reward")!;
    Object.assign(reward.params, { kind: "custom-onnx", modelAsset: scorerId });
    return document;
  }

  it("lists where an upload is used, refuses to delete it while used, deletes it when unused", async () => {
    const uploaded = await upload("scorer", "used.onnx", tinyScorer());
    const asset = uploaded.body.asset as { id: string; sha256: string };
    const workflow = await createWorkflow(database.ctx, {
      name: "Scored",
      document: documentUsing(asset.id),
    });
    const listed = await listAssets(database.ctx);
    expect(listed).toEqual([
      expect.objectContaining({
        id: asset.id,
        name: "used.onnx",
        uploadedById: database.ctx.actor.userId,
        usedBy: [{ workflowId: workflow.id, workflowName: "Scored", inTrash: false }],
      }),
    ]);
    const refusal = await deleteAsset(database.ctx, { assetId: asset.id }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(AppError);
    expect(refusal).toMatchObject({
      code: "CONFLICT",
      message: "“used.onnx” is used by “Scored”; pick another scoring model there first, then delete it.",
    });
    expect(await database.db.asset.count({ where: { deletedAt: null } })).toBe(1);

    await database.db.workflow.update({ where: { id: workflow.id }, data: { headVersionId: null } });
    await createCaller(database.ctx).assets.delete({ assetId: asset.id });
    expect(await listAssets(database.ctx)).toEqual([]);
    expect(storedFiles()).toEqual([]);
    // Uploading the same bytes again brings it back under the same id.
    const again = await upload("scorer", "used again.onnx", tinyScorer());
    expect(again).toMatchObject({
      status: 201,
      body: { existing: false, asset: { id: asset.id, name: "used again.onnx" } },
    });
  });

  it("refuses a path as an asset id at the router", async () => {
    await expect(createCaller(database.ctx).assets.delete({ assetId: "../../etc/passwd" })).rejects.toThrow();
  });
});
