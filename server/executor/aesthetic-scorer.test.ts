/**
 * The aesthetic-predictor-shaped scorer (models/sd_arch/aesthetic.py: CLIP ViT-L/14 image tower + the LAION
 * aesthetic MLP head, scaled down, random weights) as a custom ONNX reward with “Scorer input: CLIP”: it passes
 * the upload check, scores the build's PyTorch fixture, its gradient (our autodiff's VJP of the ViT, then the
 * CLIP preprocessing's transpose) matches finite differences, and a short DNO run on the bundled model
 * records its score.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { checkScorer } from "@/server/assets/check-scorer";
import type { ImageBatch, Reward } from "@/server/dno/rewards/reward";
import { createRng } from "@/server/models/rng";
import { createOnnxRuntime } from "@/server/onnx/runtime";
import type { OnnxRuntime } from "@/server/onnx/types";
import { createCustomOnnxReward } from "./custom-reward";
import { createExecutorEnvironment } from "./environment";
import { planRun } from "./plan";
import { runDno } from "./run-dno";
import { dnoWorkflow, PAPER_ADAM } from "./testing/workflows";

const root = path.resolve(import.meta.dirname, "../..");
const scorerFile = path.join(root, "models/sd_arch/tiny/aesthetic/model.onnx");
const fixture = JSON.parse(
  readFileSync(path.join(root, "models/sd_arch/tiny/aesthetic/fixtures/score.json"), "utf8"),
) as {
  picture: { height: number; width: number; score: number };
  pixel_values: { score: number };
};
const bundledPresent = existsSync(path.join(root, "models/tiny-shapes-sd/unet/model.onnx"));
const assets = { scorerFile: async () => scorerFile };

/** The fixture picture, as aesthetic.py's `picture` ([3, H, W] in [−1, 1], float32). */
function fixturePicture(): ImageBatch {
  const { height, width } = fixture.picture;
  const data = new Float32Array(3 * height * width);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        data[(c * height + y) * width + x] =
          0.7 * Math.sin(0.21 * y + 0.8 * c) * Math.cos(0.17 * x - 0.5 * c) +
          0.2 * Math.cos((0.9 * x * y) / 64 + c);
  return { data, batch: 1, channels: 3, height, width };
}

let onnx: OnnxRuntime;
let reward: Reward;

beforeAll(async () => {
  onnx = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 2 });
  reward = await createCustomOnnxReward(
    {
      id: "aesthetic",
      modelAsset: "tiny-aesthetic",
      scorerInput: "clip",
      resize: 64,
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
      outputIndex: 0,
    },
    onnx,
    { where: "Reward “Aesthetic”", assets },
  );
}, 120_000);

describe("aesthetic-shaped scorer with CLIP preprocessing", () => {
  it("passes the scoring-model upload check (opset 14, pixel_values [batch, 3, 224, 224] → score)", () => {
    const summary = checkScorer(readFileSync(scorerFile), "aesthetic.onnx");
    expect(summary.opset).toBe(14);
    expect(summary.input).toEqual({ name: "pixel_values", shape: "[batch, 3, 224, 224]" });
    expect(summary.output.name).toBe("score");
  });

  it("scores like PyTorch: the model on fixed pixel values, and the whole path on the fixture picture", async () => {
    const model = await onnx.load(scorerFile, { name: "aesthetic" });
    const pixels = new Float32Array(3 * 224 * 224);
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 224; y++)
        for (let x = 0; x < 224; x++)
          pixels[(c * 224 + y) * 224 + x] = 1.5 * Math.sin(0.05 * x + 0.3 * c) * Math.cos(0.07 * y);
    const out = await model.run({ pixel_values: { type: "float32", data: pixels, dims: [1, 3, 224, 224] } });
    expect(out.score?.data[0]).toBeCloseTo(fixture.pixel_values.score, 5);
    const [score] = await reward.evaluate(fixturePicture());
    expect(score).toBeCloseTo(fixture.picture.score, 5);
  });

  it("its gradient through the ViT's VJP and the CLIP preprocessing matches finite differences", async () => {
    const images = fixturePicture();
    const { scores, gradient } = await reward.valueAndGradient!(images);
    expect(scores[0]).toBeCloseTo(fixture.picture.score, 5);
    const rng = createRng(21);
    for (let trial = 0; trial < 2; trial++) {
      const direction = Float32Array.from({ length: images.data.length }, () => rng.normal());
      let analytic = 0;
      for (let i = 0; i < direction.length; i++) analytic += gradient[i]! * direction[i]!;
      // The score is float32 around 0.09 and moves slowly: a step of 0.02 along a unit-normal direction per
      // pixel keeps the difference well above float32 noise and the curvature small.
      const h = 0.02;
      const at = async (sign: number) =>
        (
          await reward.evaluate({ ...images, data: images.data.map((v, i) => v + sign * h * direction[i]!) })
        )[0]!;
      const numeric = ((await at(1)) - (await at(-1))) / (2 * h);
      console.log(
        `aesthetic gradient · direction ${trial}: analytic ${analytic}, finite differences ${numeric}`,
      );
      // Measured: within 1–2 % (the rest is the finite difference's curvature and float32 error).
      expect(Math.abs(numeric)).toBeGreaterThan(1e-5);
      expect(Math.abs(analytic - numeric)).toBeLessThan(0.04 * Math.abs(numeric) + 1e-6);
    }
  }, 120_000);

  it("at SD sizes too: a 320×256 picture is shrunk (widened kernel) and center-cropped, gradient as finite differences", async () => {
    const height = 320;
    const width = 256;
    const rng = createRng(8);
    const data = new Float32Array(3 * height * width);
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < height; y++)
        for (let x = 0; x < width; x++)
          data[(c * height + y) * width + x] =
            0.6 * Math.sin(0.05 * x + c) * Math.cos(0.03 * y) + 0.2 * rng.normal();
    const images: ImageBatch = { data, batch: 1, channels: 3, height, width };
    const { gradient } = await reward.valueAndGradient!(images);
    const direction = Float32Array.from({ length: data.length }, () => rng.normal());
    let analytic = 0;
    for (let i = 0; i < direction.length; i++) analytic += gradient[i]! * direction[i]!;
    const h = 0.02;
    const at = async (sign: number) =>
      (await reward.evaluate({ ...images, data: data.map((v, i) => v + sign * h * direction[i]!) }))[0]!;
    const numeric = ((await at(1)) - (await at(-1))) / (2 * h);
    console.log(`aesthetic gradient at 320×256: analytic ${analytic}, finite differences ${numeric}`);
    expect(Math.abs(numeric)).toBeGreaterThan(1e-5);
    expect(Math.abs(analytic - numeric)).toBeLessThan(0.04 * Math.abs(numeric) + 1e-6);
    // 320 → 280 rows, of which the crop drops 28 at each end: about the first and last 29 input rows
    // (32 less the kernel's reach) never reach the scorer.
    expect(gradient.subarray(0, 20 * width).every((g) => g === 0)).toBe(true);
    expect(gradient.subarray(150 * width, 151 * width).some((g) => g !== 0)).toBe(true);
  }, 120_000);

  it.skipIf(!bundledPresent)(
    "a 3-iteration DNO run on the bundled model records the score of its generated (64 px) pictures",
    async () => {
      const env = await createExecutorEnvironment({ onnx, assets });
      const plan = planRun(
        dnoWorkflow({
          model: "tiny-shapes-sd",
          prompt: "a red circle on a blue background",
          noise: { seed: 7 },
          sampler: { steps: 4, eta: 0, guidanceScale: 5 },
          rewards: [
            {
              label: "Aesthetic",
              params: { kind: "custom-onnx", modelAsset: "tiny-aesthetic", scorerInput: "clip" },
            },
          ],
          optimizer: { ...PAPER_ADAM, iterations: 3, learningRate: 0.1 },
        }),
      );
      const result = await runDno({ plan, env });
      expect(result.history).toHaveLength(3);
      const scores = result.history.map((record) => record.rewards["reward-1"]!);
      console.log(`aesthetic score over 3 iterations: ${scores.map((s) => s.toFixed(6)).join(" → ")}`);
      for (const score of scores) expect(Number.isFinite(score)).toBe(true);
      for (const record of result.history) expect(record.gradNorm).toBeGreaterThan(0);
      // Backprop through scorer, preprocessing, VAE and DDIM chain moves the noise uphill (fixed seeds).
      expect(scores[2]!).toBeGreaterThan(scores[0]!);
    },
    300_000,
  );
});
