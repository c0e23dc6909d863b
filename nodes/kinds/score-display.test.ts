import { describe, expect, it } from "vitest";
import { exampleWorkflows } from "@/nodes/graph/examples";
import { hybridEstimate } from "@/server/dno/estimators/hybrid";
import { createJpegCompressibilityReward, jpegSizes } from "@/server/dno/rewards/jpeg";
import { formatScoreGain, rewardShownAs, shownReward, shownRewardValues, shownScore } from "./score-display";

const jpegExample = exampleWorkflows.find((example) => example.slug === "jpeg-hybrid-estimator")!.document;
const squareExample = exampleWorkflows.find(
  (example) => example.slug === "maximize-reward-with-probability-regularization",
)!.document;
const format = (value: number) => value.toFixed(4);

describe("the score as shown: what it gained since the first picture", () => {
  it("is 0 at the start, positive when better, and keeps the order of the objective", () => {
    // The square example's raw objectives: p(circle) − γ·PR, below zero however well it does.
    const objectives = [-2.4542, -1.9865, -1.8287, -1.8906];
    const shown = objectives.map((objective) => shownScore(objective, objectives[0]));
    expect(shown[0]).toBe(0);
    expect(shown.slice(1).every((value) => value! > 0)).toBe(true);
    const bestRaw = objectives.indexOf(Math.max(...objectives));
    expect(shown.indexOf(Math.max(...(shown as number[])))).toBe(bestRaw);
    expect(formatScoreGain(shown[2]!, format)).toBe("+0.6255");
    expect(formatScoreGain(-0.05, format)).toBe("−0.0500");
    expect(formatScoreGain(null, format)).toBe("—");
    expect(shownScore(null, 1)).toBeNull();
  });
});

describe("a reward as shown", () => {
  it("JPEG compressibility (−kB in the engine) reads as the share of its size saved since the start", () => {
    const shownAs = rewardShownAs(jpegExample, "reward-1");
    expect(shownAs).toEqual({ relativeToStart: "saved", what: "JPEG size" });
    const shown = shownReward(shownAs, -1.114, -1.295, format);
    expect(shown.value).toBeCloseTo(1 - 1114 / 1295, 12);
    expect(shown.text).toBe("14 % smaller JPEG size than at the start");
    expect(shownReward(shownAs, -1.295, -1.295, format).text).toBe(
      "0.0 % smaller JPEG size than at the start",
    );
    expect(shownReward(shownAs, -1.3, -1.25, format).text).toBe("4.0 % larger JPEG size than at the start");
    // Increasing in the engine's value: the best JPEG reward is the best shown one.
    const raws = [-1.295, -1.2, -1.25, -1.114, -1.13];
    const values = raws.map((raw) => shownReward(shownAs, raw, raws[0], format).value!);
    for (let i = 0; i < raws.length; i++)
      for (let j = 0; j < raws.length; j++)
        expect(Math.sign(values[i]! - values[j]!)).toBe(Math.sign(raws[i]! - raws[j]!));
  });

  it("other rewards are shown as they are; charts get the same numbers", () => {
    expect(rewardShownAs(squareExample, "reward-1")).toBeUndefined();
    expect(shownReward(undefined, 0.9778, 0.36, format)).toEqual({ value: 0.9778, text: "0.9778" });
    expect(
      shownRewardValues(jpegExample, { "reward-1": -1.036 }, { "reward-1": -1.295 })["reward-1"],
    ).toBeCloseTo(0.2, 12);
    expect(shownRewardValues(squareExample, { "reward-1": 0.5 }, { "reward-1": 0.36 })).toEqual({
      "reward-1": 0.5,
    });
  });

  it("changes nothing the optimizer sees: the engine's reward is still −kB, and the hybrid estimator's direction from the shown value is the same", async () => {
    const pixels = 3 * 8 * 8;
    const image = Float32Array.from({ length: pixels }, (_, i) => Math.sin(i * 0.7) * 0.8);
    const batch = { data: image, batch: 1, channels: 3, height: 8, width: 8 };
    const engine = createJpegCompressibilityReward({ quality: 75 });
    expect((await engine.evaluate(batch))[0]).toBe(-jpegSizes(batch, 75)[0]! / 1000);

    // A toy generator: the picture is z itself; the direction only depends on reward differences.
    const start = -(jpegSizes(batch, 75)[0]! / 1000);
    const generator = (reward: (x: Float32Array) => number) => ({
      forward: (z: Float32Array) => Float32Array.from(z),
      reward: (x: Float32Array) => reward(x),
      vjp: (_z: Float32Array, cotangent: Float32Array) => Float32Array.from(cotangent),
    });
    const raw = (x: Float32Array) => -jpegSizes({ ...batch, data: x }, 75)[0]! / 1000;
    const shown = (x: Float32Array) =>
      shownReward(rewardShownAs(jpegExample, "reward-1"), raw(x), start, format).value!;
    const options = { perturbations: 8, smoothing: 0.1, seed: 7, iteration: 0 };
    const fromRaw = await hybridEstimate(generator(raw), image, options);
    const fromShown = await hybridEstimate(generator(shown), image, options);
    const norm = (v: Float32Array) => Math.hypot(...v);
    let cosine = 0;
    for (let i = 0; i < pixels; i++) cosine += fromRaw.gradient[i]! * fromShown.gradient[i]!;
    cosine /= norm(fromRaw.gradient) * norm(fromShown.gradient);
    expect(norm(fromRaw.gradient)).toBeGreaterThan(0);
    expect(cosine).toBeCloseTo(1, 6);
  });
});
