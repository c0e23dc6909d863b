/**
 * Appends one line to a workflow's activity feed (saved, ran, commented, proposed, accepted, shared…). Called
 * by the services that do those things, after their own write succeeded; a feed line never blocks the action.
 */
import type { ServiceContext } from "../context";

export const ACTIVITY_KINDS = [
  "created",
  "saved",
  "renamed",
  "restored-version",
  "ran",
  "run-finished",
  "commented",
  "proposed",
  "proposal-ran",
  "accepted",
  "declined",
  "shared",
  "unshared",
  "link-created",
  "link-revoked",
  "deleted",
  "restored",
] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

export interface ActivityInput {
  workflowId: string;
  kind: ActivityKind;
  /** What the feed line needs to be readable later (names, numbers, ids), kept small. */
  data?: Record<string, string | number | boolean | null>;
}

export async function recordActivity(ctx: ServiceContext, input: ActivityInput): Promise<void> {
  await ctx.db.activity.create({
    data: {
      workflowId: input.workflowId,
      actorId: ctx.actor.userId,
      kind: input.kind,
      data: JSON.stringify(input.data ?? {}),
    },
  });
}
