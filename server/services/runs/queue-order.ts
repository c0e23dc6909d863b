/**
 * The order queued runs are served in, shared by every queue implementation (the embedded one orders Run
 * rows by it; the pg-boss one turns it into the job's priority) and by the queue position the UI shows.
 *
 * 1. Priority band first: the submitter's band (high 1, normal 0, low -1).
 * 2. Then round-robin by owner: a run's `fairRank` is its owner's turn when it was queued (queue-placement.ts:
 *    one after the owner's last waiting run, else the round being served; on a fresh queue, how many runs the
 *    owner already had waiting). Serving lower ranks first gives every owner one run per round, so one person
 *    queueing 20 runs cannot push a colleague's single run to the back (start-time fair queueing).
 * 3. Then first come, first served (createdAt, then id for a total order).
 */

export const PRIORITY_BANDS = { low: -1, normal: 0, high: 1 } as const;
export type PriorityBand = keyof typeof PRIORITY_BANDS;

/** Prisma `orderBy` for queued runs, best first. */
export const QUEUE_ORDER = [
  { priority: "desc" },
  { fairRank: "asc" },
  { createdAt: "asc" },
  { id: "asc" },
] as const satisfies ReadonlyArray<Record<string, "asc" | "desc">>;

/** Ranks beyond this share the last one (a job queue's priority is a bounded integer). */
export const MAX_FAIR_RANK = 9_999;

/**
 * One integer, larger = served first, for queues that order by a single priority (pg-boss): the band
 * dominates, the fair rank breaks ties within it; the queue's own creation order does the rest.
 */
export function queuePriority(run: { priority: number; fairRank: number }): number {
  const rank = Math.min(Math.max(run.fairRank, 0), MAX_FAIR_RANK);
  return (run.priority + 1) * (MAX_FAIR_RANK + 1) + (MAX_FAIR_RANK - rank);
}

/** Whether queued run `a` is served before queued run `b` (the same order as QUEUE_ORDER). */
export function servedBefore(
  a: { priority: number; fairRank: number; createdAt: Date; id: string },
  b: { priority: number; fairRank: number; createdAt: Date; id: string },
): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.fairRank !== b.fairRank) return a.fairRank < b.fairRank;
  if (a.createdAt.getTime() !== b.createdAt.getTime()) return a.createdAt < b.createdAt;
  return a.id < b.id;
}
