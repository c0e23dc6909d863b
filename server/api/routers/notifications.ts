import { z } from "zod";
import { countUnreadNotifications } from "../../services/notifications/count-unread-notifications";
import { listNotifications } from "../../services/notifications/list-notifications";
import { markNotificationsRead } from "../../services/notifications/mark-notifications-read";
import { createTRPCRouter, publicProcedure } from "../trpc";
import { recordIdSchema } from "./schemas";

export const notificationsRouter = createTRPCRouter({
  list: publicProcedure
    .input(z.object({ limit: z.int().min(1).max(100).optional(), unreadOnly: z.boolean().optional() }))
    .query(({ ctx, input }) => listNotifications(ctx, input)),

  unreadCount: publicProcedure.query(({ ctx }) => countUnreadNotifications(ctx)),

  markRead: publicProcedure
    .input(z.object({ ids: z.array(recordIdSchema).min(1).max(200) }))
    .mutation(({ ctx, input }) => markNotificationsRead(ctx, input)),

  markAllRead: publicProcedure.mutation(({ ctx }) => markNotificationsRead(ctx, {})),
});
