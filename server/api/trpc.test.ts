import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleWorkflows } from "@/nodes";
import { createTestDatabase, type TestDatabase } from "../services/test-database";
import { appRouter } from "./root";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

/** One HTTP call through tRPC's fetch adapter, as the browser makes it; returns status and error data. */
async function call(path: string, input: unknown, method: "GET" | "POST") {
  const encoded = JSON.stringify(superjson.serialize(input));
  const url = `http://localhost/api/trpc/${path}${method === "GET" ? `?input=${encodeURIComponent(encoded)}` : ""}`;
  const request = new Request(url, {
    method,
    ...(method === "POST" ? { body: encoded, headers: { "content-type": "application/json" } } : {}),
  });
  const response = await fetchRequestHandler({
    endpoint: "/api/trpc",
    req: request,
    router: appRouter,
    createContext: () => database.ctx,
  });
  const body = (await response.json()) as {
    error?: { json: { message: string; data: Record<string, unknown> } };
  };
  return { status: response.status, error: body.error?.json };
}

describe("error formatter over HTTP", () => {
  it("gives the client appCode, issues per node and parameter, and the HTTP status", async () => {
    const example = exampleWorkflows[0];
    if (!example) throw new Error("no examples");
    const document = structuredClone(example.document);
    const node = document.nodes[0];
    if (!node) throw new Error("empty example");
    node.type = "warp-drive";
    const text = JSON.stringify({ format: "dno-studio.workflow", formatVersion: 1, name: "x", document });
    const { status, error } = await call("workflow.import", { text, fileName: "x.json" }, "POST");
    expect(status).toBe(400);
    expect(error?.data).toMatchObject({
      code: "BAD_REQUEST",
      appCode: "VALIDATION",
      issues: [expect.objectContaining({ nodeId: node.id, code: "unknown-node-type" })],
    });
    expect(error?.message).toContain("warp-drive");
  });

  it("reports NOT_FOUND with status 404", async () => {
    const notFound = await call("workflow.get", { workflowId: "nope" }, "GET");
    expect(notFound.status).toBe(404);
    expect(notFound.error?.data).toMatchObject({ appCode: "NOT_FOUND", issues: [] });
  });

  it("reports zod input errors as VALIDATION with the field path", async () => {
    const { status, error } = await call("workflow.rename", { workflowId: "w", name: "" }, "POST");
    expect(status).toBe(400);
    expect(error?.data).toMatchObject({
      appCode: "VALIDATION",
      issues: [expect.objectContaining({ path: ["name"], message: expect.stringContaining("needs a name") })],
    });
  });
});
