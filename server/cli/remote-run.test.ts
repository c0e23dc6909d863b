import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { handleTrpcRequest } from "../api/handle-trpc-request";
import { actorFromHeaders } from "../auth/actor-from-request";
import { createAuth } from "../auth/auth";
import { createDbClient, type DbClient } from "../db/client";
import { ensureDatabaseReady } from "../db/ready";
import { createApiToken } from "../services/accounts/create-api-token";
import { revokeApiToken } from "../services/accounts/revoke-api-token";
import { userActor } from "../services/context";
import { createTestUser } from "../services/test-database";
import { seedExampleWorkflows } from "../services/workflows/seed-example-workflows";
import { type Fetch, RemoteError, runSavedWorkflowRemotely } from "./remote-run";

let dir: string;
let db: DbClient;
let fetchThroughApi: Fetch;

beforeAll(async () => {
  // run.start wakes the embedded worker; this test only checks who may queue the run.
  vi.stubEnv("DNO_EMBEDDED_WORKER", "0");
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dno-remote-"));
  const url = `file:${path.join(dir, "remote.db")}`;
  db = createDbClient(url);
  await ensureDatabaseReady({ databaseUrl: url, db, seed: false });
  const auth = createAuth(db, url, {
    secret: "a-test-secret-that-is-long-enough-0123456789",
    baseUrl: "http://localhost",
  });
  // The tRPC HTTP handler the server runs, with the context built from the request's headers as in production.
  fetchThroughApi = async (request) => {
    const actor = await actorFromHeaders(request.headers, { db, auth });
    return handleTrpcRequest(request, { createContext: async (requestId) => ({ db, actor, requestId }) });
  };
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await db.$disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("running a saved workflow headless with a personal API token", () => {
  it("queues a run of the workflow's current version as the token's owner; a revoked token is refused", async () => {
    const user = await createTestUser(db, {
      name: "Script Owner",
      email: "script@example.test",
      role: "user",
    });
    const ctx = { db, actor: userActor(user.id, "user") };
    await seedExampleWorkflows(ctx);
    const workflow = await db.workflow.findFirstOrThrow({ where: { ownerId: user.id } });
    const { token, id } = await createApiToken(ctx, { name: "nightly" });
    const lines: string[] = [];
    const result = await runSavedWorkflowRemotely({
      server: "http://localhost",
      token,
      workflowId: workflow.id,
      wait: false,
      fetch: fetchThroughApi,
      onStatus: (line) => lines.push(line),
    });
    expect(result.status).toBe("queued");
    const run = await db.run.findUniqueOrThrow({ where: { id: result.runId } });
    expect(run.ownerId).toBe(user.id);
    expect(run.workflowVersionId).toBe(workflow.headVersionId);
    expect(lines[0]).toContain(workflow.name);

    await revokeApiToken(ctx, { tokenId: id });
    const refused = await runSavedWorkflowRemotely({
      server: "http://localhost",
      token,
      workflowId: workflow.id,
      wait: false,
      fetch: fetchThroughApi,
    }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RemoteError);
    expect((refused as RemoteError).status).toBe(401);
    expect((refused as RemoteError).message).toContain("Sign in to continue.");
    expect(await db.run.count()).toBe(1);
  });
});
