/**
 * A model's sample grid (its folder's samples.png) for the model picker. The model is named by id and must
 * be one the actor may pick (listAvailableModels: signed in; uploads only for those who may see them).
 */
import { AppError, notFound } from "@/server/errors";
import { type ModelDirectories, modelDirectories, resolveModelDir } from "@/server/models/discovery";
import { readModelSamples } from "@/server/models/model-card";
import type { ServiceContext } from "../context";
import { listAvailableModels } from "./list-models";

export async function getModelSamples(
  ctx: ServiceContext,
  input: { modelId: string },
  directories: ModelDirectories = modelDirectories(),
): Promise<Uint8Array> {
  const models = await listAvailableModels(ctx, directories);
  const model = models.find((candidate) => candidate.id === input.modelId);
  if (!model) throw notFound("Model", input.modelId);
  const bytes = readModelSamples(resolveModelDir(model.id, directories));
  if (!bytes) throw new AppError("NOT_FOUND", `The model “${model.name}” has no sample pictures.`);
  return bytes;
}
