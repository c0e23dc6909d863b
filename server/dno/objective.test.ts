import { describe, expect, it } from "vitest";
import { gaussian } from "@/server/models/rng";
import type { NoisePenaltyGuard } from "./guards/guard";
import { KeeperFloorGuard } from "./guards/keeper-floor";
import { NormPriorGuard } from "./guards/norm-prior";
import { ProbabilityRegularizationGuard } from "./guards/probability-regularization-guard";
import { TrustRegionGuard } from "./guards/trust-region";
import {
  applyNoiseGuards,
  evaluateRewardStage,
  iterationMetrics,
  type ObjectiveConfig,
  objectiveValues,
  projectIntoTrustRegions,
  validateObjectiveConfig,
} from "./objective";
import { Adam } from "./optimizers/adam";
import { clipGradientNorm } from "./optimizers/optimizer";
import { brightnessReward, contrastReward, saturationReward } from "./rewards/image-statistics";
import { createJpegCompressibilityReward } from "./rewards/jpeg";
import { imageBatch } from "./rewards/reward";

/** A linear "decoder" z → image [1, 3, h, w] with its exact VJP, standing in for sampler + VAE. */
function linearDecoder(latent: number, h: number, w: number, seed: number) {
  const pixels = 3 * h * w;
  const a = gaussian(seed, pixels * latent).map((v) => v / Math.sqrt(latent));
  return {
    forward(z: Float64Array | Float32Array) {
      // Float64 images keep the finite differences free of float32 rounding.
      const x = new Float64Array(pixels);
      for (let r = 0; r < pixels; r++) {
        let sum = 0;
        for (let c = 0; c < latent; c++) sum += a[r * latent + c]! * z[c]!;
        x[r] = sum;
      }
      return imageBatch(x, [1, 3, h, w]);
    },
    vjp(cotangent: Float32Array) {
      const g = new Float64Array(latent);
      for (let r = 0; r < pixels; r++)
        for (let c = 0; c < latent; c++) g[c] = g[c]! + a[r * latent + c]! * cotangent[r]!;
      return g;
    },
  };
}

describe("objective", () => {
  it("the loss gradient of rewards + keeper floor + PR + norm prior matches finite differences of −objective", async () => {
    const latent = 48;
    const decoder = linearDecoder(latent, 4, 4, 3);
    const config: ObjectiveConfig = {
      rewards: [
        { reward: brightnessReward, weight: 2 },
        { reward: saturationReward, weight: 0.5 },
        { reward: contrastReward, weight: 0 },
      ],
      // The contrast floor is far above any value: the keeper penalty is active.
      keeperFloors: [new KeeperFloorGuard({ rewardId: "contrast", floor: 5, weight: 0.7 })],
      noiseGuards: [
        new ProbabilityRegularizationGuard({ weight: 0.3, permutations: 4, seed: 11 }),
        new NormPriorGuard({ weight: 0.05 }),
      ],
    };
    expect(validateObjectiveConfig(config)).toEqual([]);
    const objectiveAt = async (z: Float64Array): Promise<number> => {
      const stage = await evaluateRewardStage(config, decoder.forward(z));
      return objectiveValues(stage, [applyNoiseGuards(config.noiseGuards!, z, 2, null)])[0]!;
    };
    // Drifted noise (×1.4): PR's terms are off their clamps.
    const z = Float64Array.from(gaussian(5, latent), (v) => 1.4 * v + 0.2);
    const stage = await evaluateRewardStage(config, decoder.forward(z), { withGradient: true });
    expect(stage.keeperReports["keeper-floor:contrast"]!.fired).toBe(true);
    const rewardGradient = decoder.vjp(stage.imageCotangent!);
    const lossGradient = new Float64Array(latent);
    const noise = applyNoiseGuards(config.noiseGuards!, z, 2, rewardGradient, lossGradient);
    // Off their clamps (the gradient is live), whatever the meter's percentile says at this tiny D.
    expect(noise.reports["probability-regularization"]!.detail!.termsActive).toBe(1);
    const h = 1e-5;
    for (let i = 0; i < latent; i++) {
      const original = z[i]!;
      z[i] = original + h;
      const plus = await objectiveAt(z);
      z[i] = original - h;
      const minus = await objectiveAt(z);
      z[i] = original;
      expect(lossGradient[i]).toBeCloseTo(-(plus - minus) / (2 * h), 5);
    }
  });

  it("a toy DNO loop: brightness rises; without PR the noise drifts (PR far above its floor), with γ = 1 it stays near it", async () => {
    const latent = 4 * 16 * 16;
    const decoder = linearDecoder(latent, 8, 8, 9);
    const run = async (gamma: number) => {
      const guards: NoisePenaltyGuard[] = [
        new ProbabilityRegularizationGuard({ weight: gamma, permutations: 20, seed: 1 }),
      ];
      const config: ObjectiveConfig = {
        rewards: [{ reward: brightnessReward, weight: 1 }],
        noiseGuards: guards,
      };
      const z = Float64Array.from(gaussian(2, latent));
      const adam = new Adam([latent], { learningRate: 0.01 });
      const lossGradient = new Float64Array(latent);
      const history = [];
      for (let iteration = 0; iteration < 60; iteration++) {
        const stage = await evaluateRewardStage(config, decoder.forward(z), { withGradient: true });
        const noise = applyNoiseGuards(
          guards,
          z,
          iteration,
          decoder.vjp(stage.imageCotangent!),
          lossGradient,
        );
        const gradNorm = clipGradientNorm([lossGradient], 1);
        adam.step([z], [lossGradient]);
        history.push(
          iterationMetrics({
            iteration,
            rewardStage: stage,
            noiseStages: [noise],
            gradNorm,
            ms: { forward: 0, backward: 0, rewards: 0, guards: 0, update: 0 },
          }),
        );
      }
      return history;
    };
    const free = await run(0);
    const guarded = await run(1);
    const first = free[0]!;
    const lastFree = free.at(-1)!;
    const lastGuarded = guarded.at(-1)!;
    console.log(
      `brightness ${first.rewards.brightness!.toFixed(3)} → ${lastFree.rewards.brightness!.toFixed(3)} (γ = 0, PR ${lastFree.pr!.toFixed(1)}) ` +
        `vs ${lastGuarded.rewards.brightness!.toFixed(3)} (γ = 1, PR ${lastGuarded.pr!.toFixed(2)}); start PR ${first.pr!.toFixed(2)}`,
    );
    expect(lastFree.rewards.brightness!).toBeGreaterThan(first.rewards.brightness! + 0.05);
    expect(lastGuarded.rewards.brightness!).toBeGreaterThan(first.rewards.brightness!);
    expect(lastFree.pr!).toBeGreaterThan(2 * lastGuarded.pr!);
    expect(lastGuarded.pr!).toBeLessThan(4 * Math.LN2 + 0.5);
    expect(lastFree.guards["probability-regularization"]!.fired).toBe(true);
    expect(lastFree.objective).toBeCloseTo(lastFree.rewards.brightness!, 12);
  });

  it("lists non-differentiable rewards for an estimator, projects trust regions, and validates the config", async () => {
    const images = imageBatch(gaussian(1, 2 * 3 * 4 * 4), [2, 3, 4, 4]);
    const jpeg = createJpegCompressibilityReward();
    const stage = await evaluateRewardStage(
      {
        rewards: [
          { reward: jpeg, weight: 1 },
          { reward: brightnessReward, weight: 1 },
        ],
      },
      images,
      { withGradient: true },
    );
    expect(stage.withoutGradient).toEqual(["jpeg-compressibility"]);
    const start = new Float32Array(10);
    const region = new TrustRegionGuard(start, { radius: 1 });
    const z = new Float32Array(10).fill(1);
    const reports = projectIntoTrustRegions([region], z);
    expect(reports["trust-region:projection"]!.fired).toBe(true);
    expect(
      validateObjectiveConfig({
        rewards: [],
        keeperFloors: [new KeeperFloorGuard({ rewardId: "x", floor: 0 })],
      }),
    ).toEqual([
      "the objective has no reward; connect at least one Reward node.",
      'keeper floor names reward "x", which is not in the objective; add it (weight 0 is fine).',
    ]);
  });
});
