/** Run workers, for the instance's owner and admins (the /admin/workers page). */
import { listWorkers } from "../../services/workers/list-workers";
import { createTRPCRouter, publicProcedure } from "../trpc";
import { presumedDeadAfterMs } from "./queue-settings";

export const workersRouter = createTRPCRouter({
  list: publicProcedure.query(({ ctx }) => listWorkers(ctx, { presumedDeadAfterMs: presumedDeadAfterMs() })),
});
