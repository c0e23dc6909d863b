/**
 * The answer of app/api/artifacts/[id] (a thin route). Serves run artifacts (iteration images) by id. The id is looked up in the database, never used as a file
 * path. `?download=1` answers the PNG as an attachment with the run's workflow embedded as a text chunk
 * (`dno-studio.workflow`), so dropping the file onto the editor opens that workflow.
 */
import { isAppError } from "@/server/errors";
import { decodePng, encodePng } from "@/server/models/image";
import { artifactStorePlace } from "@/server/services/runs/artifact-store";
import { getArtifact } from "@/server/services/runs/get-artifact";
import type { ServiceContext } from "@/server/services/context";
import { runImageDescription } from "@/server/services/workflows/import-names";
import {
  WORKFLOW_FILE_FORMAT,
  WORKFLOW_FILE_FORMAT_VERSION,
} from "@/server/services/workflows/workflow-file";

/** The PNG text key the editor looks for when a PNG is dropped on it. */
const WORKFLOW_PNG_KEY = "dno-studio.workflow";
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

function problem(status: number, message: string): Response {
  return new Response(JSON.stringify({ error: message }), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/**
 * The artifact route's answer for one id and the actor the request was made by (the route builds `ctx` from
 * the request's session; tests pass one per person). Access is getArtifact's: the run's workflow, "view".
 */
export async function artifactResponse(request: Request, ctx: ServiceContext, id: string): Promise<Response> {
  if (!ID_PATTERN.test(id)) return problem(400, "That is not an artifact id.");
  let artifact: Awaited<ReturnType<typeof getArtifact>>;
  try {
    artifact = await getArtifact(ctx, { artifactId: id });
  } catch (error) {
    if (isAppError(error) && error.code === "UNAUTHORIZED") return problem(401, error.message);
    if (isAppError(error) && error.code === "NOT_FOUND") return problem(404, error.message);
    if (isAppError(error) && error.code === "FORBIDDEN") return problem(403, error.message);
    if (isAppError(error) && error.code === "GONE") return problem(410, error.message);
    // The log gets the store's own sentence (which bucket, what to check); the person a short one.
    console.error(`Artifact ${id} could not be read:`, error);
    return problem(
      500,
      `The image could not be read from ${artifactStorePlace()}. Try again; if it keeps failing, tell the administrator.`,
    );
  }
  if (artifact.kind !== "image") return problem(404, "Only images are served.");
  const download = new URL(request.url).searchParams.get("download") === "1";
  if (!download) {
    return new Response(new Uint8Array(artifact.bytes), {
      headers: {
        "content-type": artifact.mimeType,
        // Artifacts never change once written: cache them for good.
        "cache-control": "private, max-age=31536000, immutable",
      },
    });
  }
  // The same envelope as an exported workflow file, so importing the PNG's text is importing a file.
  const workflow = JSON.stringify({
    format: WORKFLOW_FILE_FORMAT,
    formatVersion: WORKFLOW_FILE_FORMAT_VERSION,
    name: artifact.workflowName,
    description: runImageDescription(artifact),
    document: artifact.document,
    exportedAt: new Date().toISOString(),
  });
  let png: Uint8Array;
  try {
    png = encodePng(decodePng(artifact.bytes), { [WORKFLOW_PNG_KEY]: workflow });
  } catch (error) {
    // The bytes matched their stored hash, so the PNG was written this way; still, never an empty 500.
    console.error(`Artifact ${id} could not be re-encoded for download:`, error);
    return problem(
      500,
      "This image could not be prepared for download. Open it in the browser and save it from there.",
    );
  }
  const safeName =
    artifact.workflowName
      .replace(/[^A-Za-z0-9 _-]+/g, "")
      .trim()
      .replace(/\s+/g, "-") || "run";
  const fileName = `${safeName}-v${artifact.versionNumber}-iteration-${artifact.iteration ?? 0}.png`;
  return new Response(new Uint8Array(png), {
    headers: {
      "content-type": "image/png",
      "content-disposition": `attachment; filename="${fileName}"`,
      "cache-control": "private, no-store",
    },
  });
}
