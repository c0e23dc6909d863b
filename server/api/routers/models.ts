import { listAvailableModels } from "../../services/assets/list-models";
import { createTRPCRouter, publicProcedure } from "../trpc";

export const modelsRouter = createTRPCRouter({
  /**
   * Bundled, MODELS_DIR and uploaded models, each with its id (what a Sampler stores), validity and
   * problems; never a server path (the Sampler's model list).
   */
  list: publicProcedure.query(({ ctx }) => listAvailableModels(ctx)),
});
