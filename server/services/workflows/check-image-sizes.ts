/**
 * Refuses to queue a run whose Sampler asks its model for an Image size the model cannot draw (a fixed-size
 * model asked for another size, a size off its granularity): the same issue the editor shows on the field
 * (nodes/graph/image-size-issues.ts), so the API, the CLI and proposals get it before the run is queued and
 * not as a failed run. Reads the model folders' graphs (cached), never Prisma.
 */
import type { GraphDocument } from "@/nodes";
import { imageSizeIssues } from "@/nodes/graph/image-size-issues";
import { MODEL_DEFAULT_IMAGE_SIZE } from "@/nodes/image-size";
import { UPLOADED_MODEL_PREFIX } from "@/nodes/model-id";
import {
  listModels,
  type ModelDirectories,
  modelDirectories,
  summarizeUploadedModel,
} from "@/server/models/discovery";
import { AppError } from "../../errors";

export function assertImageSizesDrawable(
  document: GraphDocument,
  what: string,
  directories: ModelDirectories = modelDirectories(),
): void {
  const samplers = document.nodes.filter(
    (node) =>
      node.type === "sampler" &&
      typeof node.params.imageSize === "number" &&
      node.params.imageSize !== MODEL_DEFAULT_IMAGE_SIZE,
  );
  if (samplers.length === 0) return;
  const uploads = samplers
    .map((node) => node.params.model)
    .filter((id): id is string => typeof id === "string" && id.startsWith(UPLOADED_MODEL_PREFIX))
    .map((id) => summarizeUploadedModel(id.slice(UPLOADED_MODEL_PREFIX.length), id, directories));
  const issues = imageSizeIssues(document, [...listModels(directories), ...uploads]);
  if (issues.length === 0) return;
  throw new AppError("VALIDATION", `${what}: ${issues.map((issue) => issue.message).join(" ")}`, {
    issues: issues.map(({ code, message, nodeId, param }) => ({
      code,
      message,
      ...(nodeId === undefined ? {} : { nodeId }),
      ...(param === undefined ? {} : { param }),
    })),
  });
}
