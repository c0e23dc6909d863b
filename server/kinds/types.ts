/**
 * Server implementations of the kinds declared in nodes/kinds/ (one file per kind, keyed by the same id;
 * server/kinds/<group>/index.generated.ts is checked with `satisfies` against the declared ids, so a
 * declared kind without an implementation is a type error).
 */
import type { AssetFiles } from "@/server/assets/asset-store";
import type { VjpCacheOptions } from "@/server/autodiff/cache";
import type { NoisePenaltyGuard } from "@/server/dno/guards/guard";
import type { ImagePenaltyGuard } from "@/server/dno/guards/image-guard";
import type { KeeperFloorGuard } from "@/server/dno/guards/keeper-floor";
import type { PlateauStopGuard } from "@/server/dno/guards/plateau-stop";
import type { Reward } from "@/server/dno/rewards/reward";
import type { OnnxImageClassifier } from "@/server/executor/classifier";
import type { GuardParams, PlannedGuard, PlannedReward } from "@/server/executor/plan";
import type { OnnxRuntime } from "@/server/onnx/types";

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
  | {
      readonly attachTo: "image";
      /** One for the whole batch (it sees the decoded pictures, like a reward). */
      createImageGuard(context: ImageGuardBuildContext): ImagePenaltyGuard | Promise<ImagePenaltyGuard>;
    }
  | { readonly attachTo: "loop"; createLoopGuard(params: GuardParams): LoopGuard };

/** What an image guard may use to build itself for one planned Guard node. */
export interface ImageGuardBuildContext {
  readonly planned: PlannedGuard;
  /** The text of the Prompt the Sampler draws. */
  readonly promptText: string;
  /** The Sampler's model folder's image classifier, loaded once per run on first use. */
  classifier(): Promise<OnnxImageClassifier>;
}

export function defineGuardImplementation<const Id extends string, const I extends GuardImplementation>(
  id: Id,
  implementation: I,
): I & { readonly id: Id } {
  return { ...implementation, id };
}

/** What a reward implementation may use to build its engine reward for one planned Reward node. */
export interface RewardBuildContext {
  readonly planned: PlannedReward;
  /** The Sampler's model folder's image classifier, loaded once per run on first use. */
  classifier(): Promise<OnnxImageClassifier>;
  readonly onnx: OnnxRuntime;
  readonly vjpCache: VjpCacheOptions | undefined;
  /** Uploaded files by asset id. */
  readonly assets: AssetFiles;
}

/**
 * One reward kind's implementation: builds the engine's reward (server/dno/rewards) for a planned node.
 * It need not set the id (the objective keys rewards by node id) nor name the node in its errors: building
 * and evaluating are wrapped so that failures say `Reward “…”: …` and carry the node id.
 */
export interface RewardImplementation {
  create(context: RewardBuildContext): Reward | Promise<Reward>;
}

export function defineRewardImplementation<const Id extends string>(
  id: Id,
  implementation: RewardImplementation,
): RewardImplementation & { readonly id: Id } {
  return { ...implementation, id };
}
