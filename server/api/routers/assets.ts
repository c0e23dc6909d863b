import { z } from "zod";
import { ASSET_ID_PATTERN } from "@/nodes/asset-id";
import { ASSET_KINDS } from "../../assets/asset-store";
import { deleteAsset } from "../../services/assets/delete-asset";
import { listAssets } from "../../services/assets/list-assets";
import { createTRPCRouter, publicProcedure } from "../trpc";

/** Uploaded files are sent to app/api/uploads (a streamed body); here they are listed and deleted. */
const assetIdSchema = z.string().regex(ASSET_ID_PATTERN, "That is not an uploaded file's id");

export const assetsRouter = createTRPCRouter({
  list: publicProcedure
    .input(z.object({ kind: z.enum(ASSET_KINDS).optional() }).optional())
    .query(({ ctx, input }) => listAssets(ctx, input ?? {})),

  delete: publicProcedure
    .input(z.object({ assetId: assetIdSchema }))
    .mutation(({ ctx, input }) => deleteAsset(ctx, input)),
});
