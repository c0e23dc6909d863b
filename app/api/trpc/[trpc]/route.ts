import { handleTrpcRequest } from "@/server/api/handle-trpc-request";

// Prisma, better-sqlite3 and the migration engine need Node, and every answer depends on the database.
export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// Body and input limits, dangerous keys and error logging live in handleTrpcRequest (tested without Next).
function handler(request: Request): Promise<Response> {
  return handleTrpcRequest(request);
}

export { handler as GET, handler as POST };
