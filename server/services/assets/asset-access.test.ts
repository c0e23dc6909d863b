/**
 * Who sees and deletes uploads: the uploader; people who may open a workflow using the upload (they see it,
 * cannot delete it); admins. Someone else's upload id is "not on this server" to a stranger, in lists, in
 * deletes and when saving a document that names it; workflows a person may not open are counted, never named.
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { exampleWorkflows, type GraphDocument } from "@/nodes";
import { assetLocation, assetStorageKey } from "@/server/assets/asset-store";
import { AppError } from "../../errors";
import { type ServiceContext, userActor } from "../context";
import { createTestUser } from "../test-database";
import { testDatabaseWithDataDir } from "../test-database-with-data-dir";
import { createWorkflow } from "../workflows/create-workflow";
import { saveWorkflow } from "../workflows/save-workflow";
import { deleteAsset } from "./delete-asset";
import { listAssets } from "./list-assets";
import { uploadAsset } from "./upload-asset";

const fixture = testDatabaseWithDataDir("dno-asset-access-");
let uploader: ServiceContext;
let viewer: ServiceContext;
let stranger: ServiceContext;
let admin: ServiceContext;
let assetId: string;
let workflowId: string;

async function person(name: string, role: "user" | "admin" = "user"): Promise<ServiceContext> {
  const user = await createTestUser(fixture.database.db, {
    name,
    email: `${name.toLowerCase()}@assets.test`,
    role,
  });
  return { db: fixture.database.db, actor: userActor(user.id, role) };
}

function usingScorer(id: string): GraphDocument {
  const document = structuredClone(exampleWorkflows[0]?.document);
  const reward = document?.nodes.find((node) => node.type === "reward");
  if (!document || !reward) throw new Error("the first example has no Reward");
  Object.assign(reward.params, { kind: "custom-onnx", modelAsset: id });
  return document;
}

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

beforeAll(async () => {
  uploader = await person("Uma");
  viewer = await person("Vic");
  stranger = await person("Stan");
  admin = await person("Ada", "admin");
  const bytes = new TextEncoder().encode("stand-in scorer bytes");
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const file = assetLocation("scorer", sha256, fixture.dataDir);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, bytes);
  assetId = (
    await fixture.database.db.asset.create({
      data: {
        kind: "scorer",
        name: "uma.onnx",
        sha256,
        byteSize: bytes.length,
        storageKey: assetStorageKey("scorer", sha256),
        uploadedById: uploader.actor.userId,
      },
    })
  ).id;
  workflowId = (await createWorkflow(uploader, { name: "Uma's scored", document: usingScorer(assetId) })).id;
  await fixture.database.db.workflowShare.create({
    data: { workflowId, userId: viewer.actor.userId ?? "", role: "viewer" },
  });
});

describe("uploads follow their uploader and the workflows using them", () => {
  it("a stranger does not see the upload, cannot delete it, and cannot name it in a document", async () => {
    expect(await listAssets(stranger)).toEqual([]);
    expect((await refusal(deleteAsset(stranger, { assetId }))).code).toBe("NOT_FOUND");
    // Naming the id in a workflow of their own (imports store what the file says) shows them nothing…
    const own = await createWorkflow(stranger, { name: "Borrowed", document: usingScorer(assetId) });
    expect(await listAssets(stranger)).toEqual([]);
    // …and saving or running it is refused as for an upload that does not exist.
    const error = await refusal(
      saveWorkflow(stranger, {
        workflowId: own.id,
        baseVersionId: own.headVersion.id,
        document: usingScorer(assetId),
        message: "",
      }),
    );
    expect(error.code).toBe("VALIDATION");
    expect(error.issues[0]).toMatchObject({ code: "missing-upload", param: "modelAsset" });
    expect(await fixture.database.db.workflowVersion.count({ where: { workflowId: own.id } })).toBe(1);
  });

  it("someone who may open a workflow using it sees it but only the uploader or an admin may delete it", async () => {
    const seen = await listAssets(viewer);
    expect(seen).toMatchObject([{ id: assetId, usedBy: [{ workflowId, workflowName: "Uma's scored" }] }]);
    const error = await refusal(deleteAsset(viewer, { assetId }));
    expect(error).toMatchObject({
      code: "FORBIDDEN",
      message: "Only the person who uploaded “uma.onnx” or an administrator can delete it.",
    });
    expect((await listAssets(admin)).map((asset) => asset.id)).toEqual([assetId]);
  });

  it("workflows the uploader may not open are counted, never named", async () => {
    await createWorkflow(admin, { name: "Admin's secret", document: usingScorer(assetId) });
    const [mine] = await listAssets(uploader);
    // The admin's and the stranger's workflows.
    expect(mine).toMatchObject({ id: assetId, usedByOthers: 2 });
    expect(mine?.usedBy.map((use) => use.workflowName)).toEqual(["Uma's scored"]);
    const error = await refusal(deleteAsset(uploader, { assetId }));
    expect(error.code).toBe("CONFLICT");
    expect(error.message).toBe(
      "“uma.onnx” is used by “Uma's scored”, 2 workflows of other people; pick another scoring model there first, then delete it.",
    );
    expect(error.message).not.toContain("secret");
  });

  it("someone who uploads the same bytes may see and use the stored upload, not delete it", async () => {
    const bytes = new TextEncoder().encode("stand-in scorer bytes");
    const coUploader = await person("Cody");
    const upload = path.join(fixture.dataDir, "incoming.onnx");
    writeFileSync(upload, bytes);
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    expect(await listAssets(coUploader)).toEqual([]);
    const result = await uploadAsset(coUploader, {
      kind: "scorer",
      name: "cody.onnx",
      upload: { file: upload, sha256, byteSize: bytes.length },
      dataDir: fixture.dataDir,
    });
    expect(result).toMatchObject({ existing: true, asset: { id: assetId } });
    expect(result.asset.summary).not.toHaveProperty("alsoUploadedBy");
    expect((await listAssets(coUploader)).map((asset) => asset.id)).toEqual([assetId]);
    const own = await createWorkflow(coUploader, { name: "Cody's", document: usingScorer(assetId) });
    await saveWorkflow(coUploader, {
      workflowId: own.id,
      baseVersionId: own.headVersion.id,
      document: usingScorer(assetId),
      message: "uses the shared upload",
    });
    expect((await refusal(deleteAsset(coUploader, { assetId }))).code).toBe("FORBIDDEN");
  });
});
