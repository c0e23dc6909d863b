/**
 * Next.js proxy (Next 16's name for middleware), run before every route: refuses requests for a Host not on
 * the allow-list (DNS rebinding) and bodies declared larger than MAX_BODY_BYTES, before anything reads them.
 * The upload route is left out: with a proxy in front, Next buffers each request body for it, and uploads
 * are large; app/api/uploads makes the same checks itself (server/http/serving-guard.ts). Security headers
 * come from next.config.js, on every response.
 */
import { NextResponse } from "next/server";
import type { NextRequest } from "next/server";
import { servingRefusal } from "@/server/http/serving-guard";

export function proxy(request: NextRequest): Response {
  return servingRefusal(request) ?? NextResponse.next();
}

export const config = {
  matcher: ["/((?!api/uploads(?:/|$)).*)"],
};
