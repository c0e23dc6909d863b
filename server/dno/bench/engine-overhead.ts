/**
 * CPU cost of the engine's own work per iteration (everything except the model's forward/backward):
 * reward stage with gradient, noise guards (PR with R = 100 and its gradient, norm prior), gradient
 * clip and the Adam update — at the bundled model's scale and at Stable Diffusion 1.5's.
 * Run: npx tsx server/dno/bench/engine-overhead.ts   (CPU ms are the honest numbers on a shared host)
 */
import { gaussian } from "@/server/models/rng";
import { NormPriorGuard } from "../guards/norm-prior";
import { ProbabilityRegularizationGuard } from "../guards/probability-regularization-guard";
import { applyNoiseGuards, evaluateRewardStage } from "../objective";
import { Adam } from "../optimizers/adam";
import { clipGradientNorm } from "../optimizers/optimizer";
import { brightnessReward, saturationReward } from "../rewards/image-statistics";
import { imageBatch } from "../rewards/reward";

async function measure(label: string, run: () => unknown | Promise<unknown>): Promise<void> {
  await run();
  const repeats = 3;
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  for (let i = 0; i < repeats; i++) await run();
  const cpu = process.cpuUsage(cpu0);
  console.log(
    `  ${label}: ${((cpu.user + cpu.system) / 1000 / repeats).toFixed(1)} ms CPU, ${((performance.now() - wall0) / repeats).toFixed(1)} ms wall`,
  );
}

for (const { name, latentSide, imageSide } of [
  { name: "bundled-size (51 × 4×16×16 noise, 64×64 image)", latentSide: 16, imageSide: 64 },
  { name: "SD 1.5 (51 × 4×64×64 noise, 512×512 image)", latentSide: 64, imageSide: 512 },
]) {
  console.log(name);
  const length = 51 * 4 * latentSide * latentSide;
  const z = gaussian(1, length);
  const images = imageBatch(
    gaussian(2, 3 * imageSide * imageSide).map((v) => 0.5 * v),
    [1, 3, imageSide, imageSide],
  );
  const config = {
    rewards: [
      { reward: brightnessReward, weight: 1 },
      { reward: saturationReward, weight: 0.5 },
    ],
  };
  const cotangentOut = new Float32Array(images.data.length);
  const guards = [new ProbabilityRegularizationGuard({ seed: 1 }), new NormPriorGuard()];
  const rewardGradient = gaussian(3, length);
  const lossGradient = new Float32Array(length);
  const adam = new Adam([length], { learningRate: 1e-3 });
  await measure("reward stage (brightness + saturation, with gradient)", () =>
    evaluateRewardStage(config, images, { withGradient: true, cotangentOut }),
  );
  await measure("noise guards (PR R = 100 with gradient, norm prior)", () =>
    applyNoiseGuards(guards, z, 0, rewardGradient, lossGradient),
  );
  await measure("clip + Adam update", () => {
    clipGradientNorm([lossGradient], 1);
    adam.step([z], [lossGradient]);
  });
}
