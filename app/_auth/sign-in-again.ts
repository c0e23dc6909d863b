/**
 * A page left open after its session ended (signed out elsewhere, expired, password changed): the next API
 * call answers 401, and the tab goes to sign in, coming back to the same page afterwards. Refusals of a
 * signed-in person (403, 404: e.g. a removed collaborator) stay on the page, which says why.
 */
const ACCOUNT_PAGES = ["/sign-in", "/sign-up", "/setup", "/reset-password"];

function isUnauthorized(error: unknown): boolean {
  if (typeof error !== "object" || error === null || !("data" in error)) return false;
  const data = (error as { data?: { httpStatus?: number; code?: string } | null }).data;
  return data?.httpStatus === 401 || data?.code === "UNAUTHORIZED";
}

export function signInAgainOnUnauthorized(error: unknown): void {
  if (typeof window === "undefined" || !isUnauthorized(error)) return;
  const { pathname, search } = window.location;
  if (ACCOUNT_PAGES.some((page) => pathname === page || pathname.startsWith(`${page}/`))) return;
  const next = `${pathname}${search}`;
  window.location.assign(next === "/" ? "/sign-in" : `/sign-in?next=${encodeURIComponent(next)}`);
}
