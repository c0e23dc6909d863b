/**
 * Turns the planned Reward and Guard nodes into the DNO engine's parts (server/dno): rewards keyed by
 * node id (two Rewards of one kind stay apart), keeper floors, per-image noise guards, and the loop guards.
 */
import type { VjpCacheOptions } from "@/server/autodiff/cache";
import { KeeperFloorGuard } from "@/server/dno/guards/keeper-floor";
import { NormPriorGuard } from "@/server/dno/guards/norm-prior";
import { PlateauStopGuard } from "@/server/dno/guards/plateau-stop";
import { ProbabilityRegularizationGuard } from "@/server/dno/guards/probability-regularization-guard";
import { TrustRegionGuard } from "@/server/dno/guards/trust-region";
import type { NoisePenaltyGuard } from "@/server/dno/guards/guard";
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
import { norm } from "@/server/dno/tensor";
import { type AssetFiles, NO_ASSET_STORE } from "@/server/assets/asset-store";
import type { OnnxRuntime } from "@/server/onnx/types";
import { parseClassifierTarget } from "@/nodes/defs/reward";
import { OnnxImageClassifier } from "./classifier";
import { createCustomOnnxReward } from "./custom-reward";
import { ExecutorError } from "./errors";
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

export function buildKeeperFloors(plan: RunPlan): KeeperFloorGuard[] {
  return plan.guards
    .filter((guard) => guard.attachTo === "keeper-reward" && guard.keeperRewardId !== undefined)
    .map(
      (guard) =>
        new KeeperFloorGuard({
          rewardId: guard.keeperRewardId!,
          floor: guard.params.floor,
          mode: guard.params.onViolation,
          weight: guard.params.penaltyWeight,
        }),
    );
}

/** The noise guards of one image (each image has its own z, start point and PR permutation stream). */
export function buildNoiseGuards(plan: RunPlan, start: Float32Array, seed: number): NoisePenaltyGuard[] {
  const guards: NoisePenaltyGuard[] = [];
  for (const guard of plan.guards.filter((g): g is PlannedGuard => g.attachTo === "noise")) {
    const params = guard.params;
    if (params.kind === "probability-regularization") {
      guards.push(
        new ProbabilityRegularizationGuard({
          weight: params.gamma,
          permutations: params.permutations,
          blockSize: params.blockSize,
          seed,
        }),
      );
    } else if (params.kind === "norm-prior") {
      guards.push(new NormPriorGuard({ weight: params.lambda }));
    } else if (params.kind === "trust-region") {
      // The radius is a fraction of the starting noise's norm (the Guard's help text).
      guards.push(new TrustRegionGuard(start, { radius: params.maxDistance * norm(start), mode: "project" }));
    }
  }
  return guards;
}

export function buildPlateauStop(plan: RunPlan): PlateauStopGuard | null {
  const guard = plan.guards.find((g) => g.params.kind === "early-stop");
  return guard
    ? new PlateauStopGuard({ patience: guard.params.patience, minDelta: guard.params.minDelta })
    : null;
}

export function objectiveConfig(rewards: WeightedReward[], plan: RunPlan): ObjectiveConfig {
  return { rewards, keeperFloors: buildKeeperFloors(plan) };
}
