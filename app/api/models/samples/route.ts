/** Serves a model's sample grid by model id, as the signed-in person: see server/api/model-samples-response.ts. */
import { modelSamplesResponse } from "@/server/api/model-samples-response";
import { createTRPCContext } from "@/server/api/trpc";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(request: Request): Promise<Response> {
  const ctx = await createTRPCContext({ headers: request.headers });
  return modelSamplesResponse(request, ctx);
}
