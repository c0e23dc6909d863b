/**
 * Where a run joins the queue (issue 13, scheduling): its priority band and its round-robin turn among its
 * owner's runs. Every path that puts a run into `queued` — start, re-run, proposal run, resume — asks here,
 * so the queue order (queue-order.ts) treats them alike.
 */
import type { DbTransaction } from "../../db/client";
import { AppError } from "../../errors";
import { isInstanceAdmin } from "../authorization";
import type { Actor } from "../context";
import { PRIORITY_BANDS, type PriorityBand } from "./queue-order";

/**
 * The band a submitter may queue in. Low and normal are anyone's; high jumps every normal run of every person,
 * so it is the instance owner's and administrators' (and the app's own) to give.
 */
export function priorityBandFor(actor: Actor, requested: PriorityBand | undefined): number {
  const band = requested ?? "normal";
  if (band === "high" && !actor.system && !isInstanceAdmin(actor)) {
    throw new AppError(
      "FORBIDDEN",
      "Only the owner or an administrator of this DNO Studio can queue a run with high priority. Queue it with normal or low priority, or ask an administrator to raise it.",
      { priority: band },
    );
  }
  return PRIORITY_BANDS[band];
}

/**
 * The run's turn among its owner's runs in its band (Run.fairRank): one after the owner's last waiting run,
 * or — when the owner has none waiting — the round being served now (the smallest rank waiting in the band,
 * 0 on an empty queue). On a fresh queue this is "how many runs the owner already has waiting"; counting
 * from the current round instead of from 0 keeps each owner's own runs first come, first served (a new run
 * never overtakes its owner's older ones) and stops a newcomer's burst from jumping every round already
 * under way. Two submissions racing may share a rank; creation order then decides, which is still fair.
 */
export async function fairRankFor(
  db: Pick<DbTransaction, "run">,
  input: { ownerId: string | null; priority: number },
): Promise<number> {
  const waiting = { status: "queued", priority: input.priority };
  const owners = await db.run.aggregate({
    where: { ...waiting, ownerId: input.ownerId },
    _max: { fairRank: true },
  });
  const ownerLast = owners._max.fairRank;
  if (ownerLast !== null) return ownerLast + 1;
  const round = await db.run.aggregate({ where: waiting, _min: { fairRank: true } });
  return round._min.fairRank ?? 0;
}
