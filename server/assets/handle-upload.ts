/**
 * The upload endpoint's logic (app/api/uploads/route.ts is a thin wrapper, tests call this directly):
 * POST the raw file as the body, `?kind=scorer|model&name=<file name>`. The body is streamed to a temporary
 * file under a running size cap and hashed on the way, then validated and kept (server/services/assets).
 * Answers JSON: `{ asset, existing }`, or `{ error }` with 400/413/422 and a sentence for people.
 */
import { z } from "zod";
import { isAppError } from "@/server/errors";
import { servingRefusal } from "@/server/http/serving-guard";
import { getEnv } from "@/server/env";
import type { ServiceContext } from "@/server/services/context";
import { uploadAsset } from "@/server/services/assets/upload-asset";
import { ASSET_KINDS, type AssetKind } from "./asset-store";
import { receiveUpload, UploadTooLargeError } from "./receive-upload";

const querySchema = z.object({
  kind: z.enum(ASSET_KINDS),
  name: z.string().trim().min(1).max(500),
});

interface UploadLimit {
  bytes: number;
  variable: string;
  what: string;
}

export function uploadLimit(kind: AssetKind, env = getEnv()): UploadLimit {
  return kind === "scorer"
    ? { bytes: env.maxScorerUploadBytes, variable: "MAX_SCORER_UPLOAD_BYTES", what: "scoring models" }
    : { bytes: env.maxUploadBytes, variable: "MAX_UPLOAD_BYTES", what: "models" };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
}

const problem = (status: number, message: string) => json(status, { error: message });

export async function handleUpload(
  request: Request,
  ctx: ServiceContext,
  options: { dataDir?: string; checkHost?: boolean } = {},
): Promise<Response> {
  // The proxy skips this route (it would buffer the body): the Host allow-list is checked here.
  if (options.checkHost !== false) {
    const refused = servingRefusal(request, { maxBodyBytes: Number.MAX_SAFE_INTEGER });
    if (refused) return refused;
  }
  // Before a byte is read: nobody streams a file to the server without signing in.
  if (ctx.actor.userId === null && !ctx.actor.system) return problem(401, "Sign in to upload files.");
  const url = new URL(request.url);
  const query = querySchema.safeParse({
    kind: url.searchParams.get("kind") ?? undefined,
    name: url.searchParams.get("name") ?? undefined,
  });
  if (!query.success) {
    return problem(
      400,
      "Say what is uploaded: ?kind=scorer (an ONNX scoring model) or ?kind=model (a diffusers ONNX model .zip), and &name= the file's name.",
    );
  }
  const { kind, name } = query.data;
  const limit = uploadLimit(kind);
  const tooLarge = new UploadTooLargeError(limit.bytes, limit.variable, limit.what);
  const declared = request.headers.get("content-length");
  // Refused before a byte is read when the sender says how big it is; otherwise the stream is cut off.
  if (declared !== null && Number(declared) > limit.bytes) return problem(413, tooLarge.message);
  if (!request.body) return problem(400, "The upload is empty: send the file as the request body.");
  let received: Awaited<ReturnType<typeof receiveUpload>>;
  try {
    received = await receiveUpload(request.body, {
      limit: limit.bytes,
      variable: limit.variable,
      what: limit.what,
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    });
  } catch (error) {
    if (error instanceof UploadTooLargeError) return problem(413, error.message);
    throw error;
  }
  if (received.byteSize === 0) return problem(400, `“${name}” is empty (0 bytes).`);
  try {
    const result = await uploadAsset(ctx, {
      kind,
      name,
      upload: received,
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    });
    return json(result.existing ? 200 : 201, result);
  } catch (error) {
    if (isAppError(error) && error.code === "VALIDATION") return problem(422, error.message);
    if (isAppError(error) && error.code === "UNAUTHORIZED") return problem(401, error.message);
    if (isAppError(error) && error.code === "FORBIDDEN") return problem(403, error.message);
    throw error;
  }
}
