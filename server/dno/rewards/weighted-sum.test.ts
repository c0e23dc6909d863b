import { describe, expect, it } from "vitest";
import { gaussian } from "@/server/models/rng";
import { brightnessReward, contrastReward } from "./image-statistics";
import { createJpegCompressibilityReward } from "./jpeg";
import { imageBatch } from "./reward";
import { evaluateWeightedRewards } from "./weighted-sum";

describe("weighted reward sum", () => {
  const images = imageBatch(gaussian(5, 2 * 3 * 8 * 8), [2, 3, 8, 8]);

  it("sums weighted scores and differentiable gradients, and lists the rest", async () => {
    const jpeg = createJpegCompressibilityReward();
    const result = await evaluateWeightedRewards(
      [
        { reward: brightnessReward, weight: 2 },
        { reward: contrastReward, weight: -0.5 },
        { reward: jpeg, weight: 0.1 },
      ],
      images,
      { withGradient: true },
    );
    const brightness = await brightnessReward.evaluate(images);
    const contrast = await contrastReward.evaluate(images);
    const jpegScores = await jpeg.evaluate(images);
    for (let b = 0; b < 2; b++) {
      expect(result.total[b]).toBeCloseTo(2 * brightness[b]! - 0.5 * contrast[b]! + 0.1 * jpegScores[b]!, 12);
    }
    const gb = (await brightnessReward.valueAndGradient!(images)).gradient;
    const gc = (await contrastReward.valueAndGradient!(images)).gradient;
    for (let i = 0; i < gb.length; i += 17)
      expect(result.gradient![i]).toBeCloseTo(2 * gb[i]! - 0.5 * gc[i]!, 6);
    expect(result.withoutGradient).toEqual(["jpeg-compressibility"]);
  });

  it("refuses the same reward twice", async () => {
    await expect(
      evaluateWeightedRewards(
        [
          { reward: brightnessReward, weight: 1 },
          { reward: brightnessReward, weight: 1 },
        ],
        images,
      ),
    ).rejects.toThrow(/appears twice/);
  });
});
