/**
 * The secret that signs session cookies: BETTER_AUTH_SECRET when set, else one generated on first start and
 * kept in the data folder (mode 0600) so that sessions survive restarts. Never a built-in default: a known
 * secret would let anyone forge a session.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { dataDir } from "../env";
import { getAuthEnv } from "./auth-env";

export const SECRET_FILE_NAME = "auth-secret";

export function authSecret(source: Record<string, string | undefined> = process.env): string {
  const fromEnv = getAuthEnv(source).secret;
  if (fromEnv) return fromEnv;
  const file = path.join(dataDir(source), SECRET_FILE_NAME);
  try {
    const stored = fs.readFileSync(/* turbopackIgnore: true */ file, "utf8").trim();
    if (stored.length >= 32) return stored;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const secret = randomBytes(32).toString("base64url");
  try {
    // "wx": two processes starting at once must not overwrite each other's secret; the loser reads the winner's.
    fs.writeFileSync(/* turbopackIgnore: true */ file, `${secret}\n`, { mode: 0o600, flag: "wx" });
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return fs.readFileSync(/* turbopackIgnore: true */ file, "utf8").trim();
  }
}
