import { toNextJsHandler } from "better-auth/next-js";
import { getAuth } from "@/server/auth/auth";
import { ensureDatabaseReady } from "@/server/db/ready";

// Prisma and better-sqlite3 need Node; every answer depends on the database.
export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// The library's own endpoints (sign-in/up/out, password change and reset): its origin check and rate limits apply.
async function handler(request: Request): Promise<Response> {
  await ensureDatabaseReady();
  const { GET, POST } = toNextJsHandler(getAuth());
  return request.method === "GET" ? GET(request) : POST(request);
}

export { handler as GET, handler as POST };
