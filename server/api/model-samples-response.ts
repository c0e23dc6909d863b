/**
 * The answer of app/api/models/samples (a thin route): a model's sample grid by model id (`?model=<id>`), as
 * the person the request comes from. The id is looked up among the models they may pick, never used as a path.
 */
import { isAppError } from "@/server/errors";
import type { ModelDirectories } from "@/server/models/discovery";
import { getModelSamples } from "@/server/services/assets/get-model-samples";
import type { ServiceContext } from "@/server/services/context";

const MAX_MODEL_ID_LENGTH = 200;

function problem(status: number, message: string): Response {
  return new Response(JSON.stringify({ error: message }), {
    status,
    headers: { "content-type": "application/json" },
  });
}

export async function modelSamplesResponse(
  request: Request,
  ctx: ServiceContext,
  directories?: ModelDirectories,
): Promise<Response> {
  const modelId = new URL(request.url).searchParams.get("model") ?? "";
  if (modelId === "" || modelId.length > MAX_MODEL_ID_LENGTH) {
    return problem(400, "Say which model: /api/models/samples?model=<model id from the model list>.");
  }
  try {
    const bytes = await getModelSamples(ctx, { modelId }, directories);
    return new Response(new Uint8Array(bytes), {
      headers: { "content-type": "image/png", "cache-control": "private, max-age=3600" },
    });
  } catch (error) {
    if (isAppError(error) && error.code === "UNAUTHORIZED") return problem(401, error.message);
    if (isAppError(error) && error.code === "NOT_FOUND") return problem(404, error.message);
    console.error(`Samples of model ${modelId.slice(0, 80)} could not be read:`, error);
    return problem(500, "The model's sample pictures could not be read. Try again later.");
  }
}
