/**
 * Turns the planned Reward and Guard nodes into the DNO engine's parts (server/dno): rewards keyed by
 * node id (two Rewards of one kind stay apart), keeper floors, per-image noise guards, and the loop guards.
 */
import type { VjpCacheOptions } from "@/server/autodiff/cache";
import type { NoisePenaltyGuard } from "@/server/dno/guards/guard";
import type { KeeperFloorGuard } from "@/server/dno/guards/keeper-floor";
import type { PlateauStopGuard } from "@/server/dno/guards/plateau-stop";
import type { ObjectiveConfig } from "@/server/dno/objective";
import {
  createClassProbabilityReward,
  createPromptFaithfulnessReward,
} from "@/server/dno/rewards/classifier";
import {
  brightnessReward,
  contrastReward,
  darknessReward,
  saturationReward,
} from "@/server/dno/rewards/image-statistics";
import {
  createJpegCompressibilityReward,
  createJpegIncompressibilityReward,
} from "@/server/dno/rewards/jpeg";
import type { Reward } from "@/server/dno/rewards/reward";
import type { WeightedReward } from "@/server/dno/rewards/weighted-sum";
import { type AssetFiles, NO_ASSET_STORE } from "@/server/assets/asset-store";
import type { OnnxRuntime } from "@/server/onnx/types";
import { parseClassifierTarget } from "@/nodes/defs/reward";
import { getGuardImplementation } from "@/server/kinds/registry";
import type { GuardImplementation } from "@/server/kinds/types";
import { OnnxImageClassifier } from "./classifier";
import { createCustomOnnxReward } from "./custom-reward";
import { attributedToNode, ExecutorError } from "./errors";
import type { PlannedGuard, PlannedReward, RunPlan } from "./plan";

/** The same reward under the node's id. */
function withId(reward: Reward, id: string): Reward {
  const wrapped: Reward = {
    id,
    differentiable: reward.differentiable,
    evaluate: (images) => reward.evaluate(images),
  };
  if (reward.valueAndGradient) {
    const valueAndGradient = reward.valueAndGradient.bind(reward);
    wrapped.valueAndGradient = (images, out) => valueAndGradient(images, out);
  }
  return wrapped;
}

export async function buildRewards(
  plan: RunPlan,
  context: { modelDir: string; onnx: OnnxRuntime; vjpCache?: VjpCacheOptions; assets?: AssetFiles },
): Promise<WeightedReward[]> {
  let classifier: OnnxImageClassifier | null = null;
  const needClassifier = async (reward: PlannedReward) => {
    classifier ??= await OnnxImageClassifier.load(context.modelDir, context.onnx, {
      vjpCache: context.vjpCache,
      needer: reward.displayName,
    });
    return classifier;
  };
  const rewards: WeightedReward[] = [];
  for (const planned of plan.rewards) {
    const params = planned.params;
    let reward: Reward;
    switch (planned.kind) {
      case "brightness":
        reward = brightnessReward;
        break;
      case "darkness":
        reward = darknessReward;
        break;
      case "saturation":
        reward = saturationReward;
        break;
      case "contrast":
        reward = contrastReward;
        break;
      case "jpeg-compressibility":
        reward = createJpegCompressibilityReward({ quality: params.jpegQuality });
        break;
      case "jpeg-incompressibility":
        reward = createJpegIncompressibilityReward({ quality: params.jpegQuality });
        break;
      case "classifier-probability": {
        const model = await needClassifier(planned);
        const { group, label } = parseClassifierTarget(params.target);
        const labels = model.heads[group];
        if (!labels?.includes(label)) {
          throw new ExecutorError(
            "MODEL_UNAVAILABLE",
            `${planned.displayName}: the classifier cannot recognise “${params.target}” (its ${group} classes: ${labels?.join(", ") ?? "none"}). Pick another target class.`,
            { nodeId: planned.id },
          );
        }
        reward = createClassProbabilityReward({ classifier: model, head: group, label, mode: "prob" });
        break;
      }
      case "prompt-faithfulness": {
        const model = await needClassifier(planned);
        try {
          reward = createPromptFaithfulnessReward({
            classifier: model,
            prompt: planned.promptText,
            mode: "prob",
          });
        } catch (error) {
          throw new ExecutorError(
            "PLAN_REFUSED",
            `${planned.displayName}: ${error instanceof Error ? error.message : String(error)}`,
            { nodeId: planned.id, cause: error },
          );
        }
        break;
      }
      case "custom-onnx":
        reward = await createCustomOnnxReward(
          {
            id: planned.id,
            modelAsset: params.modelAsset,
            resize: params.resize,
            mean: params.mean,
            std: params.std,
            outputIndex: params.outputIndex,
          },
          context.onnx,
          {
            vjpCache: context.vjpCache,
            where: planned.displayName,
            assets: context.assets ?? NO_ASSET_STORE,
          },
        );
        break;
    }
    rewards.push({ reward: withId(reward, planned.id), weight: planned.weight });
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

export function objectiveConfig(rewards: WeightedReward[], plan: RunPlan): ObjectiveConfig {
  return { rewards, keeperFloors: buildKeeperFloors(plan) };
}
