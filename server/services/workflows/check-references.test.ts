/**
 * References are ids, never paths: every path or traversal form in every param that names a model or an
 * uploaded file is refused at save and at run with a message for people, and nothing is stored.
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ASSET_ID_MESSAGE } from "@/nodes/asset-id";
import { exampleWorkflows, type GraphDocument } from "@/nodes";
import { MODEL_ID_MESSAGE } from "@/nodes/model-id";
import { assetLocation, assetStorageKey } from "@/server/assets/asset-store";
import { AppError } from "../../errors";
import { rerunWithChanges } from "../runs/rerun-with-changes";
import { startRun } from "../runs/start-run";
import { createTestDatabase, snapshotTables, type TestDatabase } from "../test-database";
import { findMissingReferences } from "./check-references";
import { createWorkflow } from "./create-workflow";
import { saveWorkflow } from "./save-workflow";

/** Every path-like form an attacker or a confused user might type where an id belongs. */
const PATH_FORMS = [
  "/usr",
  "../../../etc/passwd",
  "..\\..\\x",
  "user:../x",
  "user:/etc",
  "C:\\Windows",
  "%2e%2e/",
  "/dev/zero",
  "tiny-shapes-sd\u0000",
  ".",
  "..",
  "upload:../../x",
];

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

function exampleDocument(): GraphDocument {
  const example = exampleWorkflows[0];
  if (!example) throw new Error("no examples");
  return structuredClone(example.document);
}

function withParam(type: string, params: Record<string, unknown>): GraphDocument {
  const document = exampleDocument();
  const node = document.nodes.find((candidate) => candidate.type === type);
  if (!node) throw new Error(`no ${type}`);
  Object.assign(node.params, params);
  return document;
}

async function caught(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

/** Save and run (from the editor's document) must both refuse it with the same per-node issue. */
async function expectRefused(
  document: GraphDocument,
  issue: { nodeId: string; param: string; message: string },
) {
  const workflow = await createWorkflow(database.ctx, { name: "Refs", document: exampleDocument() });
  const before = await snapshotTables(database.db);
  const runsBefore = await database.db.run.count();
  const saved = await caught(
    saveWorkflow(database.ctx, {
      workflowId: workflow.id,
      baseVersionId: workflow.headVersion.id,
      document,
      message: "bad",
    }),
  );
  expect(saved.code).toBe("VALIDATION");
  expect(saved.issues).toEqual([expect.objectContaining(issue)]);
  expect(saved.message).toContain(issue.message);
  const started = await caught(
    startRun(database.ctx, { workflowId: workflow.id, baseVersionId: workflow.headVersion.id, document }),
  );
  expect(started.code).toBe("VALIDATION");
  expect(started.issues).toEqual([expect.objectContaining(issue)]);
  expect(started.message).toBe(`“Refs” cannot run: ${issue.message}`);
  // Nothing was stored: no version, no run.
  expect(await snapshotTables(database.db)).toEqual(before);
  expect(await database.db.run.count()).toBe(runsBefore);
}

describe("model ids", () => {
  it.each(PATH_FORMS)("refuses the Sampler model %j as a path, storing nothing", async (value) => {
    await expectRefused(withParam("sampler", { model: value }), {
      nodeId: "sampler-1",
      param: "model",
      message: `Sampler 1 › Model is not valid: ${MODEL_ID_MESSAGE}; got “${value}”.`,
    });
  });

  it.each(["sd-nowhere", "user:nowhere", `upload:${"0".repeat(64)}`])(
    "refuses the well-formed but unknown model %j, storing nothing",
    async (value) => {
      await expectRefused(withParam("sampler", { model: value }), {
        nodeId: "sampler-1",
        param: "model",
        message: `Sampler 1 › Model: no model “${value}” on this server; pick one from the list.`,
      });
    },
  );

  it("refuses a re-run that changes the model to an unknown one, storing nothing", async () => {
    const workflow = await createWorkflow(database.ctx, { name: "Rerun", document: exampleDocument() });
    const { run } = await startRun(database.ctx, {
      workflowId: workflow.id,
      versionId: workflow.headVersion.id,
    });
    const before = await snapshotTables(database.db);
    const runsBefore = await database.db.run.count();
    const refused = await caught(
      rerunWithChanges(database.ctx, {
        runId: run.id,
        changes: [{ nodeId: "sampler-1", param: "model", value: "user:gone" }],
        message: "",
      }),
    );
    expect(refused.message).toBe(
      "The changed workflow cannot run: Sampler 1 › Model: no model “user:gone” on this server; pick one from the list.",
    );
    expect(await snapshotTables(database.db)).toEqual(before);
    expect(await database.db.run.count()).toBe(runsBefore);
  });

  it("accepts the bundled model", async () => {
    expect(await findMissingReferences(database.ctx, exampleDocument())).toEqual([]);
  });
});

describe("uploaded file ids", () => {
  const scorer = (modelAsset: string) => withParam("reward", { kind: "custom-onnx", modelAsset });

  it.each(PATH_FORMS)(
    "refuses the custom reward's scoring model %j as a path, storing nothing",
    async (value) => {
      await expectRefused(scorer(value), {
        nodeId: "reward-1",
        param: "modelAsset",
        message: `Brightness › Scoring model is not valid: ${ASSET_ID_MESSAGE}; got “${value}”.`,
      });
    },
  );

  it("refuses an id that names no upload (or a deleted one), storing nothing", async () => {
    await expectRefused(scorer("cnosuchasset000"), {
      nodeId: "reward-1",
      param: "modelAsset",
      message:
        "Brightness › Scoring model: no uploaded file “cnosuchasset000” on this server (it was deleted or never uploaded); upload it again or pick one from the list.",
    });
  });

  it("accepts a stored scorer, and ignores the scorer of a reward of another kind", async () => {
    const bytes = new TextEncoder().encode("stand-in bytes: only the row and the stored file are checked");
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const dataDir = path.join(database.dir, "data");
    const file = assetLocation("scorer", sha256, dataDir);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, bytes);
    const asset = await database.db.asset.create({
      data: {
        kind: "scorer",
        name: "mine.onnx",
        sha256,
        byteSize: bytes.length,
        storageKey: assetStorageKey("scorer", sha256),
      },
    });
    expect(await findMissingReferences(database.ctx, scorer(asset.id), { dataDir })).toEqual([]);
    const hidden = withParam("reward", { kind: "brightness", modelAsset: "cnosuchasset000" });
    expect(await findMissingReferences(database.ctx, hidden, { dataDir })).toEqual([]);
  });
});
