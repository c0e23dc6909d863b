import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleWorkflows, type GraphDocument } from "@/nodes";
import { AppError } from "../../errors";
import { createTestDatabase, snapshotTables, type TestDatabase } from "../test-database";
import { createWorkflow } from "./create-workflow";
import { exportWorkflow } from "./export-workflow";
import { getWorkflow } from "./get-workflow";
import { importWorkflow } from "./import-workflow";
import { saveWorkflow } from "./save-workflow";
import { MAX_IMPORT_BYTES } from "./workflow-file";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

function exampleDocument(): GraphDocument {
  const example = exampleWorkflows[1];
  if (!example) throw new Error("no examples");
  return structuredClone(example.document);
}

function envelope(document: unknown, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    format: "dno-studio.workflow",
    formatVersion: 1,
    name: "Imported one",
    description: "from a file",
    document,
    exportedAt: new Date().toISOString(),
    ...extra,
  });
}

/** Imports `text`, expects a refusal, checks nothing was stored, and returns the error. */
async function expectRefusal(text: string, fileName = "bad.dno.json"): Promise<AppError> {
  const before = await snapshotTables(database.db);
  const error = await importWorkflow(database.ctx, { text, fileName }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AppError);
  expect(await snapshotTables(database.db)).toEqual(before);
  return error as AppError;
}

describe("export and import", () => {
  it("round-trips: export then import gives an equal document, name and description", async () => {
    const source = await createWorkflow(database.ctx, {
      name: "Round trip",
      description: "there and back",
      document: exampleDocument(),
    });
    const exported = await exportWorkflow(database.ctx, { workflowId: source.id });
    expect(exported.fileName).toBe("round-trip.dno.json");
    expect(exported.envelope).toMatchObject({
      format: "dno-studio.workflow",
      formatVersion: 1,
      name: "Round trip",
      description: "there and back",
    });
    expect(JSON.parse(exported.json)).toEqual(exported.envelope);
    const imported = await importWorkflow(database.ctx, { text: exported.json, fileName: exported.fileName });
    expect(imported.id).not.toBe(source.id);
    expect(imported).toMatchObject({ name: "Round trip", description: "there and back" });
    expect(imported.document).toEqual(source.document);
    expect(imported.headVersion).toMatchObject({ number: 1, message: "Imported from round-trip.dno.json" });
  });

  it("exports a chosen older version", async () => {
    const source = await createWorkflow(database.ctx, { name: "Versions", document: exampleDocument() });
    const changed = exampleDocument();
    changed.nodes = changed.nodes.slice(0, 2);
    changed.edges = [];
    await saveWorkflow(database.ctx, {
      workflowId: source.id,
      baseVersionId: source.headVersion.id,
      document: changed,
      message: "trim",
    });
    const old = await exportWorkflow(database.ctx, {
      workflowId: source.id,
      versionId: source.headVersion.id,
    });
    expect(old.envelope.document).toEqual(source.document);
    const head = await exportWorkflow(database.ctx, { workflowId: source.id });
    expect(head.envelope.document).toEqual(changed);
  });

  it("imports a bare graph document and names it after the file", async () => {
    const imported = await importWorkflow(database.ctx, {
      text: JSON.stringify(exampleDocument()),
      fileName: "my graph.json",
    });
    expect(imported.name).toBe("my graph");
    expect((await getWorkflow(database.ctx, { workflowId: imported.id })).document).toEqual(
      exampleDocument(),
    );
  });

  it("refuses malformed JSON, naming the line and column", async () => {
    const text = envelope(exampleDocument()).replace('"formatVersion":1', '"formatVersion":1,,');
    const error = await expectRefusal(text);
    expect(error.code).toBe("VALIDATION");
    expect(error.message).toMatch(/^“bad\.dno\.json” is not valid JSON: at line 1, column \d+ expected/);
    expect(error.issues[0]).toMatchObject({ code: "malformed-json", line: 1 });
    const multiline = await expectRefusal('{\n  "format": "dno-studio.workflow",\n  "name": oops\n}');
    expect(multiline.issues[0]).toMatchObject({ line: 3, column: 11 });
  });

  it("refuses an oversized file with its size and the limit", async () => {
    const padding = " ".repeat(Math.ceil(MAX_IMPORT_BYTES * 1.4));
    const error = await expectRefusal(envelope(exampleDocument()) + padding);
    expect(error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(error.message).toMatch(/^File is 1\.4 MB; the limit is 1 MB\./);
  });

  it("refuses a document from a future schema version", async () => {
    const error = await expectRefusal(envelope({ ...exampleDocument(), schemaVersion: 7 }));
    expect(error.code).toBe("UNSUPPORTED_VERSION");
    expect(error.message).toContain("version 7");
  });

  it("refuses a file from a future file format, and files of another format", async () => {
    const future = await expectRefusal(envelope(exampleDocument(), { formatVersion: 2 }));
    expect(future.code).toBe("UNSUPPORTED_VERSION");
    expect(future.message).toContain("file format version 2");
    const other = await expectRefusal(JSON.stringify({ format: "comfyui.workflow", nodes: [] }));
    expect(other.code).toBe("UNSUPPORTED_FORMAT");
    expect(other.message).toContain("comfyui.workflow");
    const notWorkflow = await expectRefusal(JSON.stringify({ hello: "world" }));
    expect(notWorkflow.code).toBe("UNSUPPORTED_FORMAT");
    expect((await expectRefusal("[1, 2, 3]")).code).toBe("UNSUPPORTED_FORMAT");
  });

  it("refuses unknown node types, naming the node", async () => {
    const document = exampleDocument();
    const node = document.nodes[0];
    if (!node) throw new Error("empty example");
    node.type = "hyperdrive";
    const error = await expectRefusal(envelope(document));
    expect(error.code).toBe("VALIDATION");
    expect(error.message).toContain("was not imported");
    expect(error.message).toContain("hyperdrive");
    expect(error.issues).toContainEqual(
      expect.objectContaining({ nodeId: node.id, code: "unknown-node-type" }),
    );
  });

  it("refuses parameters out of bounds, naming node and parameter", async () => {
    const document = exampleDocument();
    const optimizer = document.nodes.find((node) => node.type === "optimizer");
    if (!optimizer) throw new Error("no optimizer");
    optimizer.params.learningRate = -5;
    const error = await expectRefusal(envelope(document));
    expect(error.code).toBe("VALIDATION");
    expect(error.issues).toContainEqual(
      expect.objectContaining({ nodeId: optimizer.id, param: "learningRate" }),
    );
    expect(error.message).toContain(optimizer.label ?? optimizer.id);
  });
});
