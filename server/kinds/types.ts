/**
 * Server implementations of the kinds declared in nodes/kinds/ (one file per kind, keyed by the same id;
 * server/kinds/<group>/index.generated.ts is checked with `satisfies` against the declared ids, so a
 * declared kind without an implementation is a type error).
 */
import type { NoisePenaltyGuard } from "@/server/dno/guards/guard";
import type { KeeperFloorGuard } from "@/server/dno/guards/keeper-floor";
import type { PlateauStopGuard } from "@/server/dno/guards/plateau-stop";
import type { GuardParams } from "@/server/executor/plan";

/** The loop behaviours the DNO loop runs (dno-loop/iteration.ts): stop on a plateau, keep the best iterate. */
export type LoopGuard =
  | { readonly kind: "plateau-stop"; readonly guard: PlateauStopGuard }
  | { readonly kind: "keep-best" };

/** One guard kind's implementation; `attachTo` must equal its declaration's (checked at registration). */
export type GuardImplementation =
  | {
      readonly attachTo: "noise";
      /** One per image: `start` is the image's starting noise, `seed` its seed (PR's permutation stream). */
      createNoiseGuard(params: GuardParams, image: { start: Float32Array; seed: number }): NoisePenaltyGuard;
    }
  | {
      readonly attachTo: "keeper-reward";
      createKeeperFloor(params: GuardParams, keeperRewardId: string): KeeperFloorGuard;
    }
  | { readonly attachTo: "loop"; createLoopGuard(params: GuardParams): LoopGuard };

export function defineGuardImplementation<const Id extends string, const I extends GuardImplementation>(
  id: Id,
  implementation: I,
): I & { readonly id: Id } {
  return { ...implementation, id };
}
