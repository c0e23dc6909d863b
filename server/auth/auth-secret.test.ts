import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { authSecret, SECRET_FILE_NAME } from "./auth-secret";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dno-secret-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("authSecret", () => {
  it("generates a secret once into the data folder, readable by the owner only, and keeps it", () => {
    const env = { DNO_DATA_DIR: dir };
    const first = authSecret(env);
    expect(first.length).toBeGreaterThanOrEqual(32);
    const file = path.join(dir, SECRET_FILE_NAME);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(authSecret(env)).toBe(first);
  });

  it("uses BETTER_AUTH_SECRET when set, and refuses a short one", () => {
    const secret = "x".repeat(40);
    expect(authSecret({ DNO_DATA_DIR: dir, BETTER_AUTH_SECRET: secret })).toBe(secret);
    expect(() => authSecret({ DNO_DATA_DIR: dir, BETTER_AUTH_SECRET: "short" })).toThrow(/at least 32/);
  });
});
