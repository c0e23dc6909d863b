import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { exampleWorkflows } from "@/nodes";
import { createDbClient, type DbClient } from "../db/client";
import { ensureDatabaseReady } from "../db/ready";
import { createInvitation } from "../services/accounts/create-invitation";
import { createApiToken } from "../services/accounts/create-api-token";
import { revokeApiToken } from "../services/accounts/revoke-api-token";
import { setSignupOpen } from "../services/accounts/set-signup-open";
import { SYSTEM, userActor } from "../services/context";
import { createWorkflow } from "../services/workflows/create-workflow";
import { actorFromHeaders } from "./actor-from-request";
import { type Auth, createAuth, INVITATION_HEADER, SIGN_IN_RATE_LIMIT } from "./auth";

const BASE = "http://localhost:3000";
let dir: string;
let db: DbClient;
let auth: Auth;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dno-auth-"));
  const url = `file:${path.join(dir, "auth.db")}`;
  db = createDbClient(url);
  await ensureDatabaseReady({ databaseUrl: url, db, seed: false });
  auth = createAuth(db, url, { secret: "a-test-secret-that-is-long-enough-0123456789", baseUrl: BASE });
});
afterAll(async () => {
  await db.$disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

function signUp(email: string, password: string, headers: Record<string, string> = {}) {
  return auth.api.signUpEmail({
    body: { name: email.split("@")[0] ?? email, email, password },
    headers: new Headers(headers),
  });
}

async function sessionCookie(email: string, password: string): Promise<string> {
  const { headers } = await auth.api.signInEmail({ body: { email, password }, returnHeaders: true });
  const setCookie = headers.get("set-cookie") ?? "";
  const cookie = setCookie.split(";")[0];
  if (!cookie) throw new Error("no session cookie");
  return cookie;
}

function signInRequest(email: string, password: string): Request {
  return new Request(`${BASE}/api/auth/sign-in/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: BASE, "x-forwarded-for": "203.0.113.7" },
    body: JSON.stringify({ email, password }),
  });
}

describe("accounts (better-auth on a real SQLite database)", () => {
  let ownerId = "";

  it("the first account becomes the owner, takes over the owner-less workflows and gets the examples", async () => {
    const before = await createWorkflow({ db, actor: SYSTEM }, { name: "Made before accounts" });
    expect(before.ownerId).toBeNull();
    const { user } = await signUp("owner@example.test", "owner-password-1");
    ownerId = user.id;
    const row = await db.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(row.role).toBe("owner");
    expect((await db.workflow.findUniqueOrThrow({ where: { id: before.id } })).ownerId).toBe(user.id);
    expect(await db.workflow.count({ where: { ownerId: user.id, exampleSlug: { not: null } } })).toBe(
      exampleWorkflows.length,
    );
    expect(await db.workflow.count({ where: { ownerId: null } })).toBe(0);
  });

  it("refuses a second sign-up while sign-up is closed and there is no invitation (setup happens once)", async () => {
    await expect(signUp("someone@example.test", "someone-password")).rejects.toThrow(/invitation only/);
    expect(await db.user.count()).toBe(1);
  });

  it("lets an invited person sign up with the invitation's role, once", async () => {
    const owner = { db, actor: userActor(ownerId, "owner") };
    const { token } = await createInvitation(owner, { email: "invited@example.test", role: "admin" }, BASE);
    await expect(
      signUp("other@example.test", "other-password", { [INVITATION_HEADER]: token }),
    ).rejects.toThrow(/invited@example.test/);
    const { user } = await signUp("invited@example.test", "invited-password", { [INVITATION_HEADER]: token });
    expect((await db.user.findUniqueOrThrow({ where: { id: user.id } })).role).toBe("admin");
    await expect(
      signUp("invited2@example.test", "invited-password", { [INVITATION_HEADER]: token }),
    ).rejects.toThrow(/no longer valid/);
  });

  it("open sign-up lets anyone create a plain account", async () => {
    await setSignupOpen({ db, actor: userActor(ownerId, "owner") }, true);
    const { user } = await signUp("open@example.test", "open-password-1");
    expect((await db.user.findUniqueOrThrow({ where: { id: user.id } })).role).toBe("user");
    // A sign-up form cannot choose its own role.
    const sneakyBody = {
      name: "Sneaky",
      email: "sneaky@example.test",
      password: "sneaky-password",
      role: "owner",
    };
    const sneaky = await auth.api
      .signUpEmail({ body: sneakyBody })
      .then(
        async ({ user: created }) => (await db.user.findUniqueOrThrow({ where: { id: created.id } })).role,
      )
      .catch(() => "refused");
    expect(["user", "refused"]).toContain(sneaky);
    await setSignupOpen({ db, actor: userActor(ownerId, "owner") }, false);
  });

  it("a session cookie is the account's actor; a wrong password gets the same answer as an unknown email", async () => {
    const cookie = await sessionCookie("owner@example.test", "owner-password-1");
    expect(await actorFromHeaders(new Headers({ cookie }), { db, auth })).toEqual(
      userActor(ownerId, "owner"),
    );
    expect(
      (await actorFromHeaders(new Headers({ cookie: "better-auth.session_token=forged" }), { db, auth }))
        .userId,
    ).toBeNull();
    const wrong = await auth.api
      .signInEmail({ body: { email: "owner@example.test", password: "nope-nope-nope" } })
      .catch((error: Error) => error.message);
    const unknown = await auth.api
      .signInEmail({ body: { email: "nobody@example.test", password: "nope-nope-nope" } })
      .catch((error: Error) => error.message);
    expect(wrong).toBe(unknown);
    // A disabled account's session no longer counts.
    await db.user.update({ where: { email: "open@example.test" }, data: { banned: false } });
    const openCookie = await sessionCookie("open@example.test", "open-password-1");
    await db.user.update({ where: { email: "open@example.test" }, data: { banned: true } });
    expect((await actorFromHeaders(new Headers({ cookie: openCookie }), { db, auth })).userId).toBeNull();
  });

  it("a personal API token acts as its account until it is revoked", async () => {
    const owner = { db, actor: userActor(ownerId, "owner") };
    const created = await createApiToken(owner, { name: "CI script" });
    const headers = new Headers({ authorization: `Bearer ${created.token}` });
    expect(await actorFromHeaders(headers, { db, auth })).toEqual(userActor(ownerId, "owner"));
    expect(await db.apiToken.count({ where: { tokenHash: created.token } })).toBe(0);
    await revokeApiToken(owner, { tokenId: created.id });
    expect((await actorFromHeaders(headers, { db, auth })).userId).toBeNull();
    expect(
      (await actorFromHeaders(new Headers({ authorization: "Bearer dno_guess" }), { db, auth })).userId,
    ).toBeNull();
  });

  it("rate-limits repeated wrong passwords (the library's limiter, counted in the database)", async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt <= SIGN_IN_RATE_LIMIT.max; attempt++) {
      statuses.push((await auth.handler(signInRequest("owner@example.test", "wrong-password-x"))).status);
    }
    expect(statuses.slice(0, SIGN_IN_RATE_LIMIT.max).every((status) => status === 401)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    expect(await db.rateLimit.count()).toBeGreaterThan(0);
  });

  it("writes the password-reset link to the server log without a mail server, and the link sets a new password", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      await auth.api.requestPasswordReset({
        body: { email: "owner@example.test", redirectTo: "/reset-password" },
      });
      const line = log.mock.calls
        .map((call) => call.join(" "))
        .find((text) => text.includes("/reset-password/"));
      expect(line).toBeDefined();
      const token = /\/reset-password\/([^?\s]+)/.exec(line ?? "")?.[1];
      expect(token).toBeTruthy();
      await auth.api.resetPassword({ body: { token: token ?? "", newPassword: "a-brand-new-password" } });
      expect(await sessionCookie("owner@example.test", "a-brand-new-password")).toContain("session_token");
    } finally {
      log.mockRestore();
    }
  });
});
