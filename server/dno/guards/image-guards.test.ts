/**
 * The image guards (prompt keeper, image trust region): their image gradients against finite differences on
 * a tiny image, their hinges (nothing inside the region / above the floor), and how the objective subtracts
 * them (penalty and image cotangent). The prompt keeper runs on a linear stand-in classifier with an exact VJP
 * here; on the bundled classifier in server/executor/content-keepers.bundled.test.ts.
 */
import { describe, expect, it } from "vitest";
import { gaussian } from "@/server/models/rng";
import { evaluateRewardStage, iterationMetrics } from "../objective";
import type { HeadLogits, ImageClassifier } from "../rewards/classifier";
import { brightnessReward } from "../rewards/image-statistics";
import { parsePromptAttributes } from "../rewards/prompt-attributes";
import { type ImageBatch, imageBatch } from "../rewards/reward";
import type { ImagePenaltyGuard } from "./image-guard";
import { ImageTrustRegionGuard } from "./image-trust-region";
import { PromptKeeperGuard } from "./prompt-keeper";

const HEADS = {
  shape: ["circle", "square", "triangle"],
  color: ["red", "green"],
  background: ["red", "blue"],
};

/** logits_h = W_h·x (float64), with the exact VJP Σ_h W_hᵀ·c_h. */
function linearClassifier(pixels: number, seed: number): ImageClassifier {
  const weights = Object.fromEntries(
    Object.entries(HEADS).map(([head, labels], h) => [head, gaussian(seed + h, labels.length * pixels)]),
  );
  return {
    forward(images) {
      const heads: Record<string, HeadLogits> = {};
      for (const [head, labels] of Object.entries(HEADS)) {
        const w = weights[head]!;
        const logits = new Float64Array(images.batch * labels.length);
        for (let b = 0; b < images.batch; b++)
          for (let j = 0; j < labels.length; j++) {
            let sum = 0;
            for (let i = 0; i < pixels; i++) sum += w[j * pixels + i]! * images.data[b * pixels + i]!;
            logits[b * labels.length + j] = sum;
          }
        heads[head] = { logits, labels };
      }
      return heads;
    },
    vjp(images, cotangents) {
      const out = new Float32Array(images.data.length);
      for (const [head, c] of Object.entries(cotangents)) {
        const labels = HEADS[head as keyof typeof HEADS];
        const w = weights[head]!;
        for (let b = 0; b < images.batch; b++)
          for (let j = 0; j < labels.length; j++)
            for (let i = 0; i < pixels; i++)
              out[b * pixels + i] = out[b * pixels + i]! + c[b * labels.length + j]! * w[j * pixels + i]!;
      }
      return out;
    },
  };
}

const H = 2;
const W = 2;
const PIXELS = 3 * H * W;

function image(seed: number, batch = 1, scale = 1): ImageBatch & { data: Float64Array } {
  // Float64 images keep the finite differences free of float32 rounding.
  const data = Float64Array.from(gaussian(seed, batch * PIXELS), (v) => v * scale);
  return { ...imageBatch(data, [batch, 3, H, W]), data };
}

/** Central difference of the guard's total penalty along `direction` (float64 images). */
async function directional(
  guard: ImagePenaltyGuard,
  x: ImageBatch,
  direction: Float64Array,
  start: ImageBatch | null,
  h = 1e-5,
): Promise<number> {
  const at = async (sign: number) => {
    const data = x.data.map((v, i) => v + sign * h * direction[i]!);
    const result = await guard.evaluate(imageBatch(data, [x.batch, 3, H, W]), { start, withGradient: false });
    return result.penalties.reduce((sum, p) => sum + p, 0);
  };
  return ((await at(1)) - (await at(-1))) / (2 * h);
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
};

describe("prompt keeper", () => {
  const attributes = parsePromptAttributes("a red circle on a blue background").attributes.filter(
    (a) => a.role !== "count",
  );
  const classifier = linearClassifier(PIXELS, 5);

  it("its image gradient matches finite differences while attributes are below the floor", async () => {
    // Floor 0.9: every attribute of these random images is below it, so each hinge is active.
    const keeper = new PromptKeeperGuard({ classifier, attributes, floor: 0.9, weight: 2.5 });
    const x = image(1, 2);
    const result = await keeper.evaluate(x, { start: null, withGradient: true });
    expect(result.report.fired).toBe(true);
    expect(result.report.value).toBeLessThan(0.9);
    expect(result.penalties.every((p) => p > 0)).toBe(true);
    for (const seed of [11, 12, 13]) {
      const direction = Float64Array.from(gaussian(seed, x.data.length));
      const numeric = await directional(keeper, x, direction, null);
      const analytic = dot(result.gradient!, direction);
      expect(Math.abs(analytic - numeric)).toBeLessThan(1e-4 * Math.max(1, Math.abs(numeric)));
    }
  });

  it("adds nothing while every kept attribute is at or above the floor, and names their lowest probability", async () => {
    const keeper = new PromptKeeperGuard({ classifier, attributes, floor: 0, weight: 2.5 });
    const result = await keeper.evaluate(image(1), { start: null, withGradient: true });
    expect(result.report.fired).toBe(false);
    expect(result.report.penalty).toBe(0);
    expect(result.gradient).toBeNull();
    const probabilities = attributes.map((a) => result.report.detail![`${a.role}:${a.label}`]!);
    expect(probabilities).toHaveLength(3);
    expect(result.report.value).toBe(Math.min(...probabilities));
  });

  it("refuses an attribute the classifier cannot score", async () => {
    const keeper = new PromptKeeperGuard({
      classifier,
      attributes: [{ role: "shape", head: "shape", label: "star", word: "star" }],
      floor: 0.5,
      weight: 1,
    });
    await expect(keeper.evaluate(image(1), { start: null, withGradient: false })).rejects.toThrow(/star/);
  });
});

describe("image trust region", () => {
  const start = image(2, 2);

  it("its image gradient matches finite differences outside the radius", async () => {
    const region = new ImageTrustRegionGuard({ radius: 0.05, weight: 3 });
    const x = imageBatch(
      start.data.map((v, i) => v + 0.4 * gaussian(3, start.data.length)[i]!),
      [2, 3, H, W],
    );
    const result = region.evaluate(x, { start, withGradient: true });
    expect(result.report.fired).toBe(true);
    expect(result.report.value).toBeGreaterThan(0.05);
    for (const seed of [21, 22, 23]) {
      const direction = Float64Array.from(gaussian(seed, x.data.length));
      const numeric = await directional(region, x, direction, start);
      const analytic = dot(result.gradient!, direction);
      expect(Math.abs(analytic - numeric)).toBeLessThan(1e-4 * Math.max(1, Math.abs(numeric)));
    }
  });

  it("measures the RMS change as a fraction of black-to-white, and adds nothing inside the radius", () => {
    const region = new ImageTrustRegionGuard({ radius: 0.1, weight: 3 });
    // Every value moves by 0.1 on the [−1, 1] scale: 5 % of the range.
    const moved = imageBatch(
      start.data.map((v) => v + 0.1),
      [2, 3, H, W],
    );
    const result = region.evaluate(moved, { start, withGradient: true });
    expect(result.report.value).toBeCloseTo(0.05, 12);
    expect(result.report.fired).toBe(false);
    expect(result.penalties.every((p) => p === 0)).toBe(true);
    expect(result.gradient).toBeNull();
    // Twice the radius costs the weight.
    const far = imageBatch(
      start.data.map((v) => v + 0.4),
      [2, 3, H, W],
    );
    expect(region.evaluate(far, { start, withGradient: false }).penalties[0]).toBeCloseTo(3, 10);
  });

  it("has no start before iteration 0's picture exists: nothing to hold back", () => {
    const region = new ImageTrustRegionGuard({ radius: 0.1, weight: 3 });
    const result = region.evaluate(image(4), { start: null, withGradient: true });
    expect(result.report).toMatchObject({ value: 0, fired: false, penalty: 0 });
  });
});

describe("image guards in the objective", () => {
  it("subtracts their penalties from the objective and their gradients from the image cotangent", async () => {
    const start = image(2);
    const x = imageBatch(
      start.data.map((v) => v + 0.5),
      [1, 3, H, W],
    );
    const region = new ImageTrustRegionGuard({ radius: 0.05, weight: 3 });
    const alone = region.evaluate(x, { start, withGradient: true });
    const brightness = await brightnessReward.valueAndGradient!(x);
    const stage = await evaluateRewardStage(
      { rewards: [{ reward: brightnessReward, weight: 2 }], imageGuards: [region] },
      x,
      { withGradient: true, startImages: start },
    );
    expect(stage.keeperPenalty[0]).toBeCloseTo(alone.penalties[0]!, 12);
    expect(stage.keeperPenalty[0]).toBeGreaterThan(0);
    for (let i = 0; i < PIXELS; i++)
      expect(stage.imageCotangent![i]).toBeCloseTo(2 * brightness.gradient[i]! - alone.gradient![i]!, 5);
    const metrics = iterationMetrics({
      iteration: 1,
      rewardStage: stage,
      noiseStages: [{ reports: {}, penalty: 0, pr: null }],
      gradNorm: 0,
      ms: { forward: 0, backward: 0, rewards: 0, guards: 0, update: 0 },
    });
    // Its change is its part of the image cotangent over the rewards' part (METHOD.md §5).
    const norm = (values: ArrayLike<number>) => Math.hypot(...Array.from(values));
    const change = norm(alone.gradient!) / norm(brightness.gradient.map((g) => 2 * g));
    expect(metrics.guards["image-trust-region"]).toEqual({
      value: alone.report.value,
      fired: true,
      change: expect.closeTo(change, 6),
    });
    expect(metrics.objective).toBeCloseTo(2 * brightness.scores[0]! - alone.penalties[0]!, 12);
  });
});
