/**
 * Next.js proxy (Next 16's name for middleware), run before every route: refuses requests for a Host not on
 * the allow-list (DNS rebinding) and bodies declared larger than MAX_BODY_BYTES, before anything reads them.
 * The upload route is left out: with a proxy in front, Next buffers each request body for it, and uploads
 * are large; app/api/uploads makes the same checks itself (server/http/serving-guard.ts). Page requests without
 * a session cookie are sent to /sign-in (server/http/sign-in-redirect.ts). Security headers
 * come from next.config.js, on every response. The health endpoints (/api/health/live, /ready) are left out
 * too: load balancers probe them by address, not by a name on the allow-list, and they answer a status only.
 */
import { NextResponse } from "next/server";
import type { NextRequest } from "next/server";
import { servingRefusal } from "@/server/http/serving-guard";
import { signInRedirectTarget } from "@/server/http/sign-in-redirect";

export function proxy(request: NextRequest): Response {
  const refusal = servingRefusal(request);
  if (refusal) return refusal;
  // Anonymous visitors of a page go to sign in (or, while no account exists, on to /setup from there).
  const signIn = signInRedirectTarget(request);
  return signIn ? NextResponse.redirect(signIn) : NextResponse.next();
}

export const config = {
  matcher: ["/((?!api/uploads(?:/|$)|api/health/).*)"],
};
