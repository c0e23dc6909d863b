/**
 * The tRPC HTTP entry, driven with real Requests (as Next hands them to the route) against a real SQLite
 * database: limits, dangerous keys, readable input errors and hidden internals, each refusal storing nothing.
 */
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { POST } from "@/app/api/trpc/[trpc]/route";
import { exampleWorkflows, type GraphDocument } from "@/nodes";
import { tooLargeMessage } from "../http/body-limit";
import { createWorkflow } from "../services/workflows/create-workflow";
import { createTestDatabase, snapshotTables, type TestDatabase } from "../services/test-database";
import { handleTrpcRequest } from "./handle-trpc-request";
import type { TrpcContext } from "./trpc";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

const limits = {
  maxBytes: 64 * 1024,
  maxDepth: 64,
  maxBytesVariable: "MAX_BODY_BYTES",
  maxDepthVariable: "MAX_JSON_DEPTH",
};

function exampleDocument(): GraphDocument {
  const example = exampleWorkflows[1];
  if (!example) throw new Error("no examples");
  return structuredClone(example.document);
}

interface ErrorBody {
  error: {
    json: {
      message: string;
      data: { httpStatus: number; appCode: string | null; details: Record<string, unknown>; stack?: unknown };
    };
  };
}

async function send(
  procedure: string,
  body: string | ReadableStream<Uint8Array>,
  context: () => Promise<TrpcContext> = async () => database.ctx,
): Promise<{ status: number; text: string }> {
  const request = new Request(`http://localhost/api/trpc/${procedure}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    ...(typeof body === "string" ? {} : { duplex: "half" }),
  } as RequestInit);
  const response = await handleTrpcRequest(request, { createContext: context, limits });
  return { status: response.status, text: await response.text() };
}

async function query(
  procedure: string,
  input: unknown,
  context: () => Promise<TrpcContext> = async () => database.ctx,
): Promise<{ status: number; text: string }> {
  const encoded = encodeURIComponent(JSON.stringify(superjson.serialize(input)));
  const request = new Request(`http://localhost/api/trpc/${procedure}?input=${encoded}`);
  const response = await handleTrpcRequest(request, { createContext: context, limits });
  return { status: response.status, text: await response.text() };
}

function errorOf(text: string): ErrorBody["error"]["json"] {
  return (JSON.parse(text) as ErrorBody).error.json;
}

/** A body streamed in chunks without a Content-Length, as a chunked upload arrives. */
function chunkedBody(totalBytes: number): ReadableStream<Uint8Array> {
  const chunk = new TextEncoder().encode(`{"json":{"name":"${"x".repeat(60_000)}`);
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= totalBytes) return controller.close();
      controller.enqueue(chunk);
      sent += chunk.byteLength;
    },
  });
}

describe("request body limits", () => {
  it("answers 413 to a chunked body over MAX_BODY_BYTES through the route itself, before any procedure", async () => {
    const request = new Request("http://localhost/api/trpc/workflow.create", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: chunkedBody(6 * 1024 * 1024),
      duplex: "half",
    } as RequestInit);
    const response = await POST(request);
    expect(response.status).toBe(413);
    const error = errorOf(await response.text());
    expect(error.message).toBe(tooLargeMessage(4 * 1024 * 1024));
    expect(error.data.appCode).toBe("PAYLOAD_TOO_LARGE");
  });

  it("stores nothing when a body is over the limit, with or without Content-Length", async () => {
    const before = await snapshotTables(database.db);
    const big = JSON.stringify(
      superjson.serialize({ name: "x".repeat(100_000), document: exampleDocument() }),
    );
    const declared = await send("workflow.create", big);
    expect(declared.status).toBe(413);
    expect(errorOf(declared.text).message).toBe(tooLargeMessage(limits.maxBytes));
    const chunked = await send("workflow.create", chunkedBody(200_000));
    expect(chunked.status).toBe(413);
    expect(await snapshotTables(database.db)).toEqual(before);
  });

  it("refuses a depth bomb with the limit named", async () => {
    const before = await snapshotTables(database.db);
    const body = `{"json":{"name":"deep","document":${"[".repeat(20_000)}${"]".repeat(20_000)}}}`;
    const { status, text } = await send("workflow.create", body);
    expect(status).toBe(400);
    expect(errorOf(text).message).toBe(
      "The request body, line 1, column 97: the data is nested more than 64 levels deep, the limit (MAX_JSON_DEPTH). A workflow is far flatter; is this really a workflow?",
    );
    expect(await snapshotTables(database.db)).toEqual(before);
  });
});

describe("dangerous keys", () => {
  it.each(["constructor", "prototype", "__proto__"])(
    "refuses %s in a tRPC body and stores nothing",
    async (key) => {
      const before = await snapshotTables(database.db);
      const body = JSON.stringify(
        superjson.serialize({ name: "Polluted", document: exampleDocument() }),
      ).replace('"params":{', `"params":{"${key}":{"x":1},`);
      const column = body.indexOf(`"${key}"`) + 1;
      const { status, text } = await send("workflow.create", body);
      expect(status).toBe(400);
      expect(errorOf(text).message).toBe(
        `The request body, line 1, column ${column}: the key “${key}” is not allowed (it could change how the server's objects behave). Rename or remove it.`,
      );
      expect(await snapshotTables(database.db)).toEqual(before);
    },
  );

  it("refuses them in a GET input too", async () => {
    const input = '{"json":{"workflowId":"w","__proto__":{"x":1}}}';
    const request = new Request(`http://localhost/api/trpc/workflow.get?input=${encodeURIComponent(input)}`);
    const response = await handleTrpcRequest(request, { createContext: async () => database.ctx, limits });
    expect(response.status).toBe(400);
    expect(errorOf(await response.text()).message).toBe(
      "The request's input, line 1, column 27: the key “__proto__” is not allowed (it could change how the server's objects behave). Rename or remove it.",
    );
  });

  it("refuses them inside an imported file (tRPC import, as the PNG drop sends it) and stores nothing", async () => {
    const before = await snapshotTables(database.db);
    const file = JSON.stringify({
      format: "dno-studio.workflow",
      formatVersion: 1,
      document: exampleDocument(),
    }).replace('"params":{', '"params":{"constructor":{"x":1},"prototype":2,');
    const { status, text } = await send(
      "workflow.import",
      JSON.stringify(superjson.serialize({ text: file, fileName: "shapes.png" })),
    );
    expect(status).toBe(400);
    expect(errorOf(text).message).toMatch(
      /^shapes\.png, line 1, column \d+: the key “constructor” is not allowed \(it could change how the server's objects behave\)\. Rename or remove it\.$/,
    );
    expect(await snapshotTables(database.db)).toEqual(before);
  });

  it("keeps rows stored before the fix readable: get, export, duplicate and version.get answer without the keys", async () => {
    const created = await createWorkflow(database.ctx, { name: "Old row", document: exampleDocument() });
    const polluted = JSON.parse(
      (await database.db.workflowVersion.findUniqueOrThrow({ where: { id: created.headVersion.id } }))
        .document,
    ) as GraphDocument;
    const firstNode = polluted.nodes[0];
    if (!firstNode) throw new Error("empty example");
    firstNode.params = JSON.parse(
      `{"constructor":{"x":1},"prototype":2,${JSON.stringify(firstNode.params).slice(1)}`,
    );
    await database.db.workflowVersion.update({
      where: { id: created.headVersion.id },
      data: { document: JSON.stringify(polluted) },
    });
    for (const [procedure, input] of [
      ["workflow.get", { workflowId: created.id }],
      ["workflow.export", { workflowId: created.id }],
      ["version.get", { versionId: created.headVersion.id }],
    ] as const) {
      const { status, text } = await query(procedure, input);
      expect(status, `${procedure}: ${text.slice(0, 300)}`).toBe(200);
      expect(text).not.toContain("constructor");
    }
    const duplicate = await send(
      "workflow.duplicate",
      JSON.stringify(superjson.serialize({ workflowId: created.id })),
    );
    expect(duplicate.status).toBe(200);
    expect(duplicate.text).not.toContain("prototype");
  });
});

describe("messages for people", () => {
  it("formats input errors as sentences, and run.start's union as one message", async () => {
    const missing = await query("workflow.get", {});
    expect(missing.status).toBe(400);
    expect(errorOf(missing.text).message).toBe("“workflowId” is required.");
    const union = await send(
      "run.start",
      JSON.stringify(superjson.serialize({ workflowId: "w1", versionId: 5 })),
    );
    expect(union.status).toBe(400);
    const error = errorOf(union.text);
    expect(error.message).toBe("“versionId” must be text (got a number).");
    expect(union.text).not.toContain("invalid_union");
    expect(error.data.appCode).toBe("VALIDATION");
  });

  it("names node, parameter and bound when run.start gets a document out of range, and stores nothing", async () => {
    const workflow = await createWorkflow(database.ctx, { name: "Bounds", document: exampleDocument() });
    const before = await snapshotTables(database.db);
    const document = exampleDocument();
    const sampler = document.nodes.find((node) => node.type === "sampler");
    if (!sampler) throw new Error("no sampler");
    sampler.params.steps = 5000;
    const { status, text } = await send(
      "run.start",
      JSON.stringify(
        superjson.serialize({ workflowId: workflow.id, baseVersionId: workflow.headVersion.id, document }),
      ),
    );
    expect(status).toBe(400);
    expect(errorOf(text).message).toBe(
      `${sampler.label ?? "?"} › Steps must be between 1 and 1000; got 5000.`,
    );
    expect(await snapshotTables(database.db)).toEqual(before);
  });

  it("answers a malformed payload (null, a bad superjson meta) without JavaScript internals", async () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      for (const body of [
        "null",
        '{"json": {"name": "x"}, "meta": {"values": {"name": ["custom", "nope"]}}}',
      ]) {
        const { status, text } = await send("workflow.create", body);
        expect(status).toBe(400);
        expect(errorOf(text).message).toMatch(
          /^The request's input is not in the form this server expects \(request id [0-9a-f]{12}\)\. Reload the page and try again\.$/,
        );
        expect(text).not.toMatch(/destructure|Maximum call stack/);
      }
    } finally {
      spy.mockRestore();
    }
    const wrongType = await send("workflow.create", '{"json": 5}');
    expect(errorOf(wrongType.text).message).toBe("The input must be an object (got a number).");
  });

  it("passes an empty POST body on to tRPC (the spent stream is replaced), which refuses it in words", async () => {
    const logged: string[] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
      logged.push(args.map(String).join(" "));
    });
    const { status, text } = await send("workflow.create", "");
    spy.mockRestore();
    expect(status).toBe(400);
    expect(errorOf(text).message).toMatch(/^The request's input is not in the form this server expects/);
    expect(logged.join("\n")).toContain("Unexpected end of JSON input");
    expect(logged.join("\n")).not.toMatch(/unusable|disturbed|locked/i);
  });

  it("hides an internal failure behind a request id that the server log carries with the details", async () => {
    const logged: unknown[][] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
      logged.push(args);
    });
    const broken = {
      ...database.ctx,
      requestId: "abc123def456",
      db: new Proxy(database.ctx.db, {
        get() {
          throw new TypeError(
            "Cannot destructure property 'json' of '/work/main/server/secret.ts' as it is undefined.",
          );
        },
      }),
    } as TrpcContext;
    const { status, text } = await query("workflow.list", undefined, async () => broken);
    spy.mockRestore();
    expect(status).toBe(500);
    const error = errorOf(text);
    expect(error.message).toBe(
      "Something went wrong on the server (request id abc123def456). The details are in the server log.",
    );
    expect(error.data.stack).toBeUndefined();
    expect(text).not.toMatch(/destructure|\/work\/|secret/);
    expect(logged.some((args) => String(args[0]).includes("abc123def456"))).toBe(true);
  });
});
