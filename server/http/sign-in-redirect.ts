/**
 * Anonymous visitors of the app's pages go to the sign-in page first, with the page they asked for as
 * `next`. Checked in the proxy by the presence of the session cookie only (no database there): a stale or
 * forged cookie gets through here but is anonymous to every API call and page check behind it. The account
 * pages themselves, the API (which answers 401 "Sign in to continue.") and static files are left alone.
 */
import { getSessionCookie } from "better-auth/cookies";

export const PUBLIC_PAGES = ["/sign-in", "/sign-up", "/setup", "/reset-password"] as const;

function isPublicPath(pathname: string): boolean {
  if (pathname.startsWith("/api/") || pathname === "/api" || pathname.startsWith("/_next/")) return true;
  // Files with an extension (favicon.ico, icon.svg, robots.txt): never a page.
  if (/\.[a-z0-9]+$/i.test(pathname)) return true;
  return PUBLIC_PAGES.some((page) => pathname === page || pathname.startsWith(`${page}/`));
}

/** The redirect target for an anonymous page request, or null when the request may go on. */
export function signInRedirectTarget(request: Pick<Request, "headers" | "method" | "url">): URL | null {
  if (request.method !== "GET" && request.method !== "HEAD") return null;
  const url = new URL(request.url);
  if (isPublicPath(url.pathname)) return null;
  if (getSessionCookie(request.headers)) return null;
  const target = new URL("/sign-in", url);
  const next = `${url.pathname}${url.search}`;
  if (next !== "/") target.searchParams.set("next", next);
  return target;
}
