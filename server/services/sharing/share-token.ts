/**
 * Share-link tokens: 32 random bytes (base64url), shown once to the person who creates the link; only their
 * SHA-256 is stored (ShareLink.tokenHash), so a database leak does not hand out access.
 */
import { createHash, randomBytes } from "node:crypto";

export const SHARE_TOKEN_PATTERN = /^[A-Za-z0-9_-]{20,100}$/;

export function newShareToken(): string {
  return randomBytes(32).toString("base64url");
}

export function hashShareToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** The path a link opens (the page signs the visitor in first, then accepts it). */
export function shareLinkPath(token: string): string {
  return `/share/${encodeURIComponent(token)}`;
}
