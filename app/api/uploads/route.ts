/** Uploads of scoring models and model .zips: see server/assets/handle-upload.ts. */
import { createTRPCContext } from "@/server/api/trpc";
import { handleUpload } from "@/server/assets/handle-upload";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function POST(request: Request): Promise<Response> {
  const ctx = await createTRPCContext({ headers: request.headers });
  try {
    return await handleUpload(request, ctx);
  } catch (error) {
    // Details (paths, stack) stay in the server log; people get a sentence.
    console.error("upload failed", error);
    return new Response(
      JSON.stringify({
        error: "The upload failed on the server; nothing was kept. Try again, or see the server log.",
      }),
      { status: 500, headers: { "content-type": "application/json" } },
    );
  }
}
