/**
 * The origin links in mails point at (invitations): BETTER_AUTH_URL when set, else the request's own Host
 * (already checked against the allow-list by the proxy) with its protocol.
 */
import { getAuthEnv } from "./auth-env";

export function appOrigin(headers: Headers): string {
  const configured = getAuthEnv().baseUrl;
  if (configured) return configured;
  const host = headers.get("host") ?? "localhost:3000";
  const forwarded = headers.get("x-forwarded-proto");
  const protocol = forwarded === "https" || forwarded === "http" ? forwarded : "http";
  return `${protocol}://${host}`;
}
