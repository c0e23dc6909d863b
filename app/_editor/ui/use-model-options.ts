"use client";
/**
 * The server's models as the "model" widget's options (name, card summary, vocabulary, sample grid), shared
 * by the editor and the run page's review table so both pickers read alike. Until the list arrives the
 * options are null and the picker shows the stored value.
 */
import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { useTRPC } from "@/app/_trpc/provider";
import { DEFAULT_MODEL_ID } from "@/nodes/defs/sampler";
import type { ImageSizeRule } from "@/nodes/image-size";
import type { ModelOption } from "./node-card";

export function useModelOptions() {
  const trpc = useTRPC();
  const models = useQuery({ ...trpc.models.list.queryOptions(), staleTime: 60_000 });
  const modelOptions = useMemo(
    () =>
      models.data?.map(
        (model): ModelOption => ({
          value: model.id,
          label: `${model.name}${model.source === "upload" ? " (uploaded)" : ""}${model.valid ? "" : " (cannot be loaded)"}`,
          ...(model.cardSummary ? { summary: model.cardSummary } : {}),
          ...(model.vocabulary ? { vocabulary: model.vocabulary } : {}),
          ...(model.imageSize ? { imageSize: model.imageSize } : {}),
          ...(model.hasSamples
            ? { samplesUrl: `/api/models/samples?model=${encodeURIComponent(model.id)}` }
            : {}),
        }),
      ) ?? null,
    [models.data],
  );
  return { models: models.data, modelOptions };
}

/** The image-size rule of the model a node's params name (the Sampler's default model when unset). */
export function imageSizeRuleOf(
  modelOptions: readonly ModelOption[] | null,
  params: Readonly<Record<string, unknown>>,
): ImageSizeRule | undefined {
  const model = typeof params.model === "string" ? params.model : DEFAULT_MODEL_ID;
  return modelOptions?.find((option) => option.value === model)?.imageSize;
}
