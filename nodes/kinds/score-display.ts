/**
 * The one place that decides how a run's score and reward values are shown to people (issue 11: positive
 * scores where the user maximises). Display only: the engine's rewards, the objective and every gradient
 * are untouched (METHOD.md §3), so the optimisation and the stored numbers do not change. Every shown number
 * is an increasing function of the stored one within a run, so the best picture still has the best number.
 *
 * - The score is shown as what the run gained since its first picture: objective − objective at iteration
 *   0. The raw objective is rewards × weights minus penalties, and PR's penalty alone never falls below
 *   γ·4·log 2 ≈ 2.8, so a probability reward's objective reads about −2 however well it does; the gain is 0 at
 *   the start and positive whenever the picture got better.
 * - A reward whose kind declares `shownAs` (JPEG compressibility, whose value is −kB) is shown as the share of
 *   its first value saved: "JPEG size 14 % smaller than at the start". Others are shown as they are.
 */
import type { GraphDocument } from "../graph/document";
import { getRewardKind } from "./registry";
import type { RewardShownAs } from "./types";

/** The score shown: what the objective gained since the run's first iteration (null without both). */
export function shownScore(
  objective: number | null | undefined,
  startObjective: number | null | undefined,
): number | null {
  if (typeof objective !== "number" || typeof startObjective !== "number") return null;
  if (!Number.isFinite(objective) || !Number.isFinite(startObjective)) return null;
  return objective - startObjective;
}

/** "+0.62", "0", "−0.05": a gain always carries its sign. */
export function formatScoreGain(gain: number | null, format: (value: number) => string): string {
  if (gain === null) return "—";
  if (gain === 0) return "0";
  return gain > 0 ? `+${format(gain)}` : `−${format(-gain)}`;
}

/** How the Reward node `nodeId` of the document is shown, when its kind says (else it is shown raw). */
export function rewardShownAs(
  document: GraphDocument | undefined,
  nodeId: string,
): RewardShownAs | undefined {
  const node = document?.nodes.find((candidate) => candidate.id === nodeId);
  if (node?.type !== "reward" || typeof node.params.kind !== "string") return undefined;
  return getRewardKind(node.params.kind)?.shownAs;
}

export interface ShownReward {
  /** The number shown (a share for `shownAs` rewards: 0.14 = 14 %). */
  readonly value: number | null;
  /** The words shown: "0.9778", or "14 % smaller JPEG size than at the start". */
  readonly text: string;
}

/**
 * A reward's value as shown: `raw` at some iteration, `start` its value at iteration 0. For "saved",
 * 1 − raw/start: with raw = −size and start = −size₀ (< 0), 1 − size/size₀ increases as the size shrinks.
 */
export function shownReward(
  shownAs: RewardShownAs | undefined,
  raw: number | null | undefined,
  start: number | null | undefined,
  format: (value: number) => string,
): ShownReward {
  if (typeof raw !== "number" || !Number.isFinite(raw)) return { value: null, text: "—" };
  if (!shownAs) return { value: raw, text: format(raw) };
  if (typeof start !== "number" || !Number.isFinite(start) || start === 0) return { value: null, text: "—" };
  const share = 1 - raw / start;
  const percent = Math.abs(share * 100);
  const amount = `${percent < 10 ? percent.toFixed(1) : Math.round(percent)} %`;
  const text =
    share >= 0
      ? `${amount} smaller ${shownAs.what} than at the start`
      : `${amount} larger ${shownAs.what} than at the start`;
  return { value: share, text };
}

/** The rewards of one step as shown, by metric key (for charts): shares for `shownAs` rewards, else raw. */
export function shownRewardValues(
  document: GraphDocument | undefined,
  rewards: Readonly<Record<string, number | null>>,
  startRewards: Readonly<Record<string, number | null>> | undefined,
): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [key, raw] of Object.entries(rewards))
    out[key] = shownReward(rewardShownAs(document, key), raw, startRewards?.[key], String).value;
  return out;
}
