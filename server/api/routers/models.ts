import { listModels } from "../../models/discovery";
import { createTRPCRouter, publicProcedure } from "../trpc";

export const modelsRouter = createTRPCRouter({
  /** Bundled models plus those of MODELS_DIR, each with its validity and problems (the Sampler's model list). */
  list: publicProcedure.query(() => listModels()),
});
