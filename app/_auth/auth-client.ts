/** The browser side of the auth library: calls its endpoints under /api/auth on this origin. */
import { createAuthClient } from "better-auth/client";

export const authClient = createAuthClient({ basePath: "/api/auth" });

/** Where to go after signing in: only a path on this site (never another origin), else the list. */
export function safeNextPath(next: string | null | undefined): string {
  if (!next?.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  return next;
}

/** The library's error as a sentence for the form. */
export function authErrorMessage(
  error: { status?: number; message?: string } | null | undefined,
  action: string,
): string {
  if (!error) return `Could not ${action}. Try again.`;
  if (error.status === 429) return "Too many attempts. Wait a minute, then try again.";
  if (error.message && error.message.length > 0) {
    return error.message.endsWith(".") ? error.message : `${error.message}.`;
  }
  return `Could not ${action} (error ${error.status ?? "unknown"}). Try again.`;
}
