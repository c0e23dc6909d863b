import { activityRouter } from "./routers/activity";
import { accountRouter } from "./routers/account";
import { assetsRouter } from "./routers/assets";
import { commentsRouter } from "./routers/comments";
import { modelsRouter } from "./routers/models";
import { notificationsRouter } from "./routers/notifications";
import { proposalsRouter } from "./routers/proposals";
import { runRouter } from "./routers/run";
import { sharingRouter } from "./routers/sharing";
import { versionRouter } from "./routers/version";
import { workersRouter } from "./routers/workers";
import { workflowRouter } from "./routers/workflow";
import { createCallerFactory, createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  account: accountRouter,
  workflow: workflowRouter,
  version: versionRouter,
  models: modelsRouter,
  assets: assetsRouter,
  run: runRouter,
  sharing: sharingRouter,
  comments: commentsRouter,
  activity: activityRouter,
  notifications: notificationsRouter,
  proposals: proposalsRouter,
  workers: workersRouter,
});

export type AppRouter = typeof appRouter;

/** Server-side calls without HTTP (tests, server components): `createCaller({ db, actor })`. */
export const createCaller = createCallerFactory(appRouter);
