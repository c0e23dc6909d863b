/** Serves run artifacts (iteration images) by id, as the signed-in person: see server/api/artifact-response.ts. */
import { artifactResponse } from "@/server/api/artifact-response";
import { createTRPCContext } from "@/server/api/trpc";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(request: Request, context: { params: Promise<{ id: string }> }): Promise<Response> {
  const { id } = await context.params;
  // The same actor as a tRPC call of this request (session cookie or API token).
  const ctx = await createTRPCContext({ headers: request.headers });
  return artifactResponse(request, ctx, id);
}
