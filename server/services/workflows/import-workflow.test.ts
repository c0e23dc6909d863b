import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleWorkflows, GRAPH_LIMITS, type GraphDocument } from "@/nodes";
import { hasOverlappingCards } from "@/nodes/graph/layout";
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
    // The source still exists, so the copy gets a name of its own.
    expect(imported).toMatchObject({ name: "Round trip (imported 2)", description: "there and back" });
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

  it("gives each import of one file its own name and a readable description", async () => {
    const text = envelope(exampleDocument(), {
      name: "Twice imported",
      description: "From run cmx31arac0001abcd, iteration 4.",
    });
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      const imported = await importWorkflow(database.ctx, { text, fileName: "run.png" });
      names.push(imported.name);
      expect(imported.description).toBe(
        "Opened from an image saved at iteration 4 of a run of “Twice imported”.",
      );
    }
    expect(names).toEqual(["Twice imported", "Twice imported (imported 2)", "Twice imported (imported 3)"]);
    // Importing a numbered copy's own file counts on rather than stacking suffixes.
    const again = await importWorkflow(database.ctx, {
      text: envelope(exampleDocument(), { name: "Twice imported (imported 3)" }),
    });
    expect(again.name).toBe("Twice imported (imported 4)");
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

  it("lays out an imported file whose cards sit on top of each other, and keeps tidy files as they are", async () => {
    const stacked = exampleDocument();
    for (const node of stacked.nodes) node.position = { x: 40, y: 40 };
    expect(hasOverlappingCards(stacked)).toBe(true);
    const imported = await importWorkflow(database.ctx, {
      text: JSON.stringify(stacked),
      fileName: "stacked.json",
    });
    const stored = (await getWorkflow(database.ctx, { workflowId: imported.id })).document;
    expect(hasOverlappingCards(stored)).toBe(false);
    expect(stored.edges).toEqual(stacked.edges);
    expect(stored.nodes.map((node) => node.params)).toEqual(stacked.nodes.map((node) => node.params));
  });

  it("refuses malformed JSON, naming the line and column", async () => {
    const text = envelope(exampleDocument()).replace('"formatVersion":1', '"formatVersion":1,,');
    const error = await expectRefusal(text);
    expect(error.code).toBe("VALIDATION");
    expect(error.message).toMatch(
      /^bad\.dno\.json, line 1, column \d+: expected a property name in double quotes\.$/,
    );
    expect(error.issues[0]).toMatchObject({ code: "malformed-json", line: 1 });
    const multiline = await expectRefusal(
      '{\n  "format": "dno-studio.workflow",\n  "name": oops\n}',
      "workflow.json",
    );
    expect(multiline.message).toBe(
      "workflow.json, line 3, column 11: expected a value (an object, a list, text in double quotes, a number, true, false or null).",
    );
    expect(multiline.issues[0]).toMatchObject({ line: 3, column: 11 });
    const missingComma = await expectRefusal(
      '{\n  "format": "dno-studio.workflow"\n  "name": "x"\n}',
      "workflow.json",
    );
    expect(missingComma.message).toBe(
      "workflow.json, line 3, column 3: expected a comma or a closing brace.",
    );
  });

  it("accepts a file with a UTF-8 byte-order mark", async () => {
    const imported = await importWorkflow(database.ctx, {
      text: `\uFEFF${envelope(exampleDocument())}`,
      fileName: "bom.dno.json",
    });
    expect(imported.document).toEqual(exampleDocument());
  });

  it("refuses an oversized file with its size and the limit", async () => {
    const padding = " ".repeat(Math.ceil(MAX_IMPORT_BYTES * 1.4));
    const error = await expectRefusal(envelope(exampleDocument()) + padding);
    expect(error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(error.message).toBe(
      "bad.dno.json is 1.4 MB; the limit is 1 MB (MAX_IMPORT_BYTES). Is this really a workflow?",
    );
  });

  it("refuses a depth bomb with the limit, without a stack overflow", async () => {
    const document = exampleDocument();
    const text = envelope(document).replace(
      '"params":{',
      `"params":{"deep":${"[".repeat(100_000)}${"]".repeat(100_000)},`,
    );
    const error = await expectRefusal(text);
    expect(error.code).toBe("VALIDATION");
    expect(error.message).toMatch(
      /^bad\.dno\.json, line 1, column \d+: the data is nested more than 64 levels deep, the limit \(MAX_JSON_DEPTH\)\./,
    );
  });

  it("refuses more nodes than the limit, naming it", async () => {
    const document = exampleDocument();
    const template = document.nodes[0];
    if (!template) throw new Error("empty example");
    document.nodes = Array.from({ length: GRAPH_LIMITS.maxNodes + 1 }, (_, index) => ({
      ...template,
      id: `n${index}`,
    }));
    document.edges = [];
    const error = await expectRefusal(envelope(document));
    expect(error.code).toBe("VALIDATION");
    expect(error.message).toBe(
      `The workflow has ${GRAPH_LIMITS.maxNodes + 1} nodes; the limit is ${GRAPH_LIMITS.maxNodes} nodes per workflow. Split it into smaller workflows.`,
    );
  });

  it.each(["constructor", "prototype", "__proto__"])(
    "refuses the key %s in params with its place, storing nothing",
    async (key) => {
      const text = `{\n  "format": "dno-studio.workflow",\n  "formatVersion": 1,\n  "document": ${JSON.stringify(exampleDocument()).replace('"params":{', `"params":{"${key}":{"x":1},`)}\n}`;
      const error = await expectRefusal(text, "workflow.json");
      expect(error.code).toBe("VALIDATION");
      expect(error.message).toMatch(
        new RegExp(
          `^workflow\\.json, line 4, column \\d+: the key “${key}” is not allowed \\(it could change how the server's objects behave\\)\\. Rename or remove it\\.$`,
        ),
      );
      expect(error.issues[0]).toMatchObject({ code: "dangerous-key", line: 4 });
    },
  );

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
