/** Secrets handed to people (API tokens, invitation links): random, shown once, stored only as SHA-256. */
import { createHash, randomBytes } from "node:crypto";

export function newSecretToken(prefix: string): string {
  return `${prefix}${randomBytes(32).toString("base64url")}`;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}
