/**
 * Turns the planned Reward and Guard nodes into the DNO engine's parts (server/dno): rewards keyed by
 * node id (two Rewards of one kind stay apart), keeper floors, image guards, per-image noise guards, and
 * the loop guards.
 */
import type { VjpCacheOptions } from "@/server/autodiff/cache";
import type { NoisePenaltyGuard } from "@/server/dno/guards/guard";
import type { ImagePenaltyGuard } from "@/server/dno/guards/image-guard";
import type { KeeperFloorGuard } from "@/server/dno/guards/keeper-floor";
import type { PlateauStopGuard } from "@/server/dno/guards/plateau-stop";
import type { ObjectiveConfig } from "@/server/dno/objective";
import type { Reward } from "@/server/dno/rewards/reward";
import type { WeightedReward } from "@/server/dno/rewards/weighted-sum";
import { type AssetFiles, NO_ASSET_STORE } from "@/server/assets/asset-store";
import type { OnnxRuntime } from "@/server/onnx/types";
import { getGuardImplementation, getRewardImplementation } from "@/server/kinds/registry";
import type { GuardImplementation } from "@/server/kinds/types";
import { OnnxImageClassifier } from "./classifier";
import { attributedToNode, ExecutorError } from "./errors";
import type { PlannedGuard, PlannedReward, RunPlan } from "./plan";

/**
 * The reward under its node's id; an error while it scores names the node (`Reward “…”: …`) and carries
 * its id, so the run fails on that Reward and not on the Sampler.
 */
function asNodeReward(reward: Reward, planned: PlannedReward): Reward {
  const wrapped: Reward = {
    id: planned.id,
    differentiable: reward.differentiable,
    evaluate: async (images) => {
      try {
        return await reward.evaluate(images);
      } catch (error) {
        throw attributedToNode(error, planned);
      }
    },
  };
  if (reward.valueAndGradient) {
    const valueAndGradient = reward.valueAndGradient.bind(reward);
    wrapped.valueAndGradient = async (images, out) => {
      try {
        return await valueAndGradient(images, out);
      } catch (error) {
        throw attributedToNode(error, planned);
      }
    };
  }
  return wrapped;
}

/** The model folder's classifier, loaded once for the first node that needs it (named if it is missing). */
export type ClassifierLoader = (needer: string) => Promise<OnnxImageClassifier>;

export function classifierLoader(context: {
  modelDir: string;
  onnx: OnnxRuntime;
  vjpCache?: VjpCacheOptions;
}): ClassifierLoader {
  let classifier: Promise<OnnxImageClassifier> | null = null;
  return (needer) => {
    classifier ??= OnnxImageClassifier.load(context.modelDir, context.onnx, {
      ...(context.vjpCache ? { vjpCache: context.vjpCache } : {}),
      needer,
    });
    return classifier;
  };
}

/** Builds every planned Reward through its kind's implementation (server/kinds/rewards/). */
export async function buildRewards(
  plan: RunPlan,
  context: {
    modelDir: string;
    onnx: OnnxRuntime;
    vjpCache?: VjpCacheOptions;
    assets?: AssetFiles;
    /** Shared with the image guards, so one run loads the classifier once. */
    loadClassifier?: ClassifierLoader;
  },
): Promise<WeightedReward[]> {
  const loadClassifier = context.loadClassifier ?? classifierLoader(context);
  const rewards: WeightedReward[] = [];
  for (const planned of plan.rewards) {
    const implementation = getRewardImplementation(planned.kind);
    if (!implementation) {
      throw new ExecutorError(
        "PLAN_REFUSED",
        `${planned.displayName}: the reward kind “${planned.kind}” cannot run on this server. Pick another reward.`,
        { nodeId: planned.id },
      );
    }
    let reward: Reward;
    try {
      reward = await implementation.create({
        planned,
        // Loaded once, for the first Reward that needs it (its name is in the message if it is missing).
        classifier: () => loadClassifier(planned.displayName),
        onnx: context.onnx,
        vjpCache: context.vjpCache,
        assets: context.assets ?? NO_ASSET_STORE,
      });
    } catch (error) {
      throw attributedToNode(error, planned);
    }
    rewards.push({ reward: asNodeReward(reward, planned), weight: planned.weight });
  }
  return rewards;
}

/** A planned guard's implementation, checked against the attachment the planner gave it. */
function guardImplementation<A extends GuardImplementation["attachTo"]>(
  guard: PlannedGuard,
  attachTo: A,
): Extract<GuardImplementation, { attachTo: A }> {
  const implementation = getGuardImplementation(guard.params.kind);
  if (implementation?.attachTo !== attachTo) {
    throw new ExecutorError(
      "PLAN_REFUSED",
      `${guard.displayName}: the guard kind “${guard.params.kind}” cannot run on this server. Pick another guard.`,
      { nodeId: guard.id },
    );
  }
  return implementation as Extract<GuardImplementation, { attachTo: A }>;
}

/** Runs a guard implementation's constructor; a failure names the Guard node. */
function buildingGuard<T>(guard: PlannedGuard, build: () => T): T {
  try {
    return build();
  } catch (error) {
    throw attributedToNode(error, guard);
  }
}

export function buildKeeperFloors(plan: RunPlan): KeeperFloorGuard[] {
  return plan.guards
    .filter((guard) => guard.attachTo === "keeper-reward" && guard.keeperRewardId !== undefined)
    .map((guard) =>
      buildingGuard(guard, () =>
        guardImplementation(guard, "keeper-reward").createKeeperFloor(guard.params, guard.keeperRewardId!),
      ),
    );
}

/** The noise guards of one image (each image has its own z, start point and PR permutation stream). */
export function buildNoiseGuards(plan: RunPlan, start: Float32Array, seed: number): NoisePenaltyGuard[] {
  return plan.guards
    .filter((guard) => guard.attachTo === "noise")
    .map((guard) =>
      buildingGuard(guard, () =>
        guardImplementation(guard, "noise").createNoiseGuard(guard.params, { start, seed }),
      ),
    );
}

/** The image guards (penalties on the decoded picture), one per Guard node for the whole batch. */
export async function buildImageGuards(
  plan: RunPlan,
  loadClassifier: ClassifierLoader,
): Promise<ImagePenaltyGuard[]> {
  const guards: ImagePenaltyGuard[] = [];
  for (const guard of plan.guards.filter((g) => g.attachTo === "image")) {
    const implementation = guardImplementation(guard, "image");
    try {
      guards.push(
        await implementation.createImageGuard({
          planned: guard,
          promptText: plan.prompt.params.text,
          classifier: () => loadClassifier(guard.displayName),
        }),
      );
    } catch (error) {
      throw attributedToNode(error, guard);
    }
  }
  return guards;
}

/** The loop guards: the first early stop's plateau guard, and whether the best iterate is the result. */
export function buildLoopGuards(plan: RunPlan): { plateau: PlateauStopGuard | null; keepBest: boolean } {
  let plateau: PlateauStopGuard | null = null;
  let keepBest = false;
  for (const guard of plan.guards.filter((g) => g.attachTo === "loop")) {
    const loop = buildingGuard(guard, () => guardImplementation(guard, "loop").createLoopGuard(guard.params));
    if (loop.kind === "plateau-stop") plateau ??= loop.guard;
    else keepBest = true;
  }
  return { plateau, keepBest };
}

export function objectiveConfig(
  rewards: WeightedReward[],
  plan: RunPlan,
  imageGuards: readonly ImagePenaltyGuard[] = [],
): ObjectiveConfig {
  return { rewards, keeperFloors: buildKeeperFloors(plan), imageGuards };
}
