/**
 * Every model a Sampler can name: bundled, MODELS_DIR and uploaded ones. What clients get has ids, names
 * and problems only, never a server path.
 */
import type { ModelSummary } from "@/nodes/context";
import {
  listModels,
  type ModelDirectories,
  modelDirectories,
  summarizeUploadedModel,
} from "@/server/models/discovery";
import type { ServiceContext } from "../context";

export async function listAvailableModels(
  ctx: Pick<ServiceContext, "db">,
  directories: ModelDirectories = modelDirectories(),
): Promise<ModelSummary[]> {
  const uploads = await ctx.db.asset.findMany({
    where: { kind: "model", deletedAt: null },
    orderBy: { createdAt: "asc" },
    select: { sha256: true, name: true },
  });
  return [
    ...listModels(directories),
    ...uploads.map((upload) => summarizeUploadedModel(upload.sha256, upload.name, directories)),
  ];
}
