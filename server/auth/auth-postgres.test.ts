/**
 * Accounts on PostgreSQL (the deployed database): the auth library through the PostgreSQL client and
 * adapter. Runs when DNO_TEST_POSTGRES_URL names a server where the user may create databases; skipped
 * otherwise (as server/services/postgres.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createThrowawayPostgres, type ThrowawayPostgres } from "../db/testing/throwaway-postgres";
import { createDbClient, type DbClient } from "../db/client";
import { ensureDatabaseReady } from "../db/ready";
import { userActor } from "../services/context";
import { actorFromHeaders } from "./actor-from-request";
import { type Auth, createAuth, SIGN_IN_RATE_LIMIT } from "./auth";

const serverUrl = process.env.DNO_TEST_POSTGRES_URL;
const BASE = "http://localhost:3000";

describe.skipIf(!serverUrl)("accounts on PostgreSQL", () => {
  let database: ThrowawayPostgres;
  let db: DbClient;
  let auth: Auth;

  beforeAll(async () => {
    database = await createThrowawayPostgres(serverUrl ?? "", "dno_auth");
    const url = database.url;
    db = createDbClient(url);
    await ensureDatabaseReady({ databaseUrl: url, db, seed: false });
    auth = createAuth(db, url, { secret: "a-test-secret-that-is-long-enough-0123456789", baseUrl: BASE });
  });

  afterAll(async () => {
    await db?.$disconnect();
    await database?.drop();
  });

  it("creates the owner, signs in with a cookie, and rate-limits wrong passwords", async () => {
    const { user } = await auth.api.signUpEmail({
      body: { name: "Owner", email: "owner@pg.test", password: "owner-password-1" },
    });
    expect((await db.user.findUniqueOrThrow({ where: { id: user.id } })).role).toBe("owner");
    const { headers } = await auth.api.signInEmail({
      body: { email: "owner@pg.test", password: "owner-password-1" },
      returnHeaders: true,
    });
    const cookie = (headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    expect(await actorFromHeaders(new Headers({ cookie }), { db, auth })).toEqual(
      userActor(user.id, "owner"),
    );
    const statuses: number[] = [];
    for (let attempt = 0; attempt <= SIGN_IN_RATE_LIMIT.max; attempt++) {
      const request = new Request(`${BASE}/api/auth/sign-in/email`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: BASE, "x-forwarded-for": "198.51.100.4" },
        body: JSON.stringify({ email: "owner@pg.test", password: "wrong-password-x" }),
      });
      statuses.push((await auth.handler(request)).status);
    }
    expect(statuses.at(-1)).toBe(429);
  });
});
