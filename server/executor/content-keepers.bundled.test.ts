/**
 * Content keepers on the bundled model (models/tiny-shapes-sd): brightness is pushed hard enough that, left
 * alone, it washes out what the prompt asked for (the scene's colours) and moves the picture far from the
 * start. With the prompt keeper the reward still rises while the prompt's shape and colours stay above the
 * floor; with the image trust region the reward rises while the picture stays within the radius. The
 * unguarded run measures the same quantities with the guards at strength 0 (they report, they do not hold
 * back). Also: the keeper's gradient through the real classifier's VJP against finite differences.
 * Skipped while the model folder is absent (it is built by models/build.py).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PromptKeeperGuard } from "@/server/dno/guards/prompt-keeper";
import { parsePromptAttributes } from "@/server/dno/rewards/prompt-attributes";
import { imageBatch } from "@/server/dno/rewards/reward";
import { createRng } from "@/server/models/rng";
import { createOnnxRuntime } from "@/server/onnx/runtime";
import { OnnxImageClassifier } from "./classifier";
import { createExecutorEnvironment, type ExecutorEnvironment } from "./environment";
import { ExecutorError } from "./errors";
import { planRun } from "./plan";
import { type DnoResult, type IterationRecord, runDno } from "./run-dno";
import { dnoWorkflow, PAPER_ADAM } from "./testing/workflows";

const MODEL = "tiny-shapes-sd";
const PROMPT = "a red circle on a blue background";
const modelPresent = existsSync(path.join(import.meta.dirname, "../../models", MODEL, "unet/model.onnx"));

let env: ExecutorEnvironment;
let unguarded: DnoResult;

const FLOOR = 0.3;
const RADIUS = 0.1;

/** Brightness with Adam lr 0.1 for 12 iterations, 4 DDIM steps, seed 7 (a few seconds on one core). */
const run = async (keepStrength: number, imageStrength: number) =>
  runDno({
    plan: planRun(
      dnoWorkflow({
        model: MODEL,
        prompt: PROMPT,
        noise: { seed: 7 },
        sampler: { steps: 4, eta: 1, guidanceScale: 5 },
        rewards: [{ params: { kind: "brightness" } }],
        guards: [
          { params: { kind: "prompt-keeper", keepFloor: FLOOR, keepStrength } },
          { params: { kind: "image-trust-region", imageRadius: RADIUS, imageStrength } },
        ],
        optimizer: { ...PAPER_ADAM, iterations: 12, learningRate: 0.1 },
      }),
    ),
    env,
  });

const brightness = (record: IterationRecord) => record.rewards["reward-1"]!;
const kept = (record: IterationRecord) => record.guards["prompt-keeper"]!.value;
const moved = (record: IterationRecord) => record.guards["image-trust-region"]!.value;
const summary = (result: DnoResult) =>
  result.history
    .map((r) => `${brightness(r).toFixed(3)}/${kept(r).toFixed(3)}/${moved(r).toFixed(3)}`)
    .join(" ");

beforeAll(async () => {
  if (!modelPresent) return;
  const onnx = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });
  env = await createExecutorEnvironment({ onnx });
  unguarded = await run(0, 0);
  console.log(`unguarded (brightness/lowest kept probability/distance): ${summary(unguarded)}`);
});

describe.skipIf(!modelPresent)("content keepers on the bundled model", () => {
  it("unguarded, brightening washes out the prompt's colours and moves the picture far from the start", () => {
    const first = unguarded.history[0]!;
    const last = unguarded.history.at(-1)!;
    expect(brightness(last)).toBeGreaterThan(brightness(first) + 0.3);
    expect(kept(last)).toBeLessThan(0.1);
    expect(moved(last)).toBeGreaterThan(3 * RADIUS);
    // Strength 0 only measures: the objective is the reward alone.
    expect(last.objective).toBeCloseTo(brightness(last), 12);
  });

  it("prompt keeper: brightness rises while the prompt's shape and colours stay above the floor", async () => {
    const result = await run(10, 0);
    console.log(`prompt keeper: ${summary(result)}`);
    const first = result.history[0]!;
    const last = result.history.at(-1)!;
    expect(brightness(last)).toBeGreaterThan(brightness(first) + 0.05);
    expect(kept(last)).toBeGreaterThanOrEqual(FLOOR);
    expect(kept(last)).toBeGreaterThan(kept(unguarded.history.at(-1)!) + 0.2);
    expect(last.guards["prompt-keeper"]!.fired).toBe(false);
  });

  it("image trust region: brightness rises while the picture stays within the radius of the start", async () => {
    const result = await run(0, 1);
    console.log(`image trust region: ${summary(result)}`);
    const first = result.history[0]!;
    const last = result.history.at(-1)!;
    expect(brightness(last)).toBeGreaterThan(brightness(first) + 0.05);
    expect(moved(first)).toBe(0);
    // A step may overshoot before the penalty pulls the picture back: at most by half the radius.
    expect(Math.max(...result.history.map(moved))).toBeLessThan(1.5 * RADIUS);
    expect(moved(last)).toBeLessThan(1.25 * RADIUS);
  });

  it("a run with both keepers resumes from a checkpoint to exactly the uninterrupted run", async () => {
    const plan = planRun(
      dnoWorkflow({
        model: MODEL,
        prompt: PROMPT,
        noise: { seed: 7 },
        sampler: { steps: 2, eta: 1, guidanceScale: 5 },
        rewards: [{ params: { kind: "brightness" } }],
        guards: [
          { params: { kind: "prompt-keeper", keepFloor: 0.9 } },
          { params: { kind: "image-trust-region", imageRadius: 0.01 } },
        ],
        optimizer: { ...PAPER_ADAM, iterations: 5, learningRate: 0.1 },
      }),
    );
    const numbers = (history: readonly IterationRecord[]) =>
      history.map((r) => ({
        rewards: r.rewards,
        guards: r.guards,
        objective: r.objective,
        gradNorm: r.gradNorm,
      }));
    const whole = await runDno({ plan, env });
    // Both hold back in this run (the floor is high, the radius small): the resumed run must see the same start.
    expect(whole.history.slice(2).every((r) => r.guards["image-trust-region"]!.fired)).toBe(true);
    expect(whole.history.every((r) => r.guards["prompt-keeper"]!.fired)).toBe(true);
    const paused = await runDno({ plan, env, pauseAfter: 2 });
    const checkpoint = JSON.parse(JSON.stringify(paused.checkpoint)) as DnoResult["checkpoint"];
    const resumed = await runDno({ plan, env, resume: checkpoint });
    expect(numbers(resumed.history)).toEqual(numbers(whole.history));
    expect(resumed.finalImage.data).toEqual(whole.finalImage.data);
  });

  it("zeroth-order: the keepers are part of the objective the estimator samples", async () => {
    const result = await runDno({
      plan: planRun(
        dnoWorkflow({
          model: MODEL,
          prompt: PROMPT,
          noise: { seed: 7 },
          sampler: { steps: 2, eta: 1, guidanceScale: 5 },
          rewards: [{ params: { kind: "brightness" } }],
          guards: [
            { params: { kind: "prompt-keeper", keepFloor: 0.9 } },
            { params: { kind: "image-trust-region", imageRadius: 0.001 } },
          ],
          optimizer: {
            ...PAPER_ADAM,
            iterations: 2,
            learningRate: 0.1,
            estimator: "zeroth-order",
            perturbations: 2,
          },
        }),
      ),
      env,
    });
    const last = result.history.at(-1)!;
    expect(last.guards["image-trust-region"]!.value).toBeGreaterThan(0.001);
    expect(last.guards["prompt-keeper"]!.fired).toBe(true);
    expect(last.objective).toBeLessThan(brightness(last));
  });

  it("a prompt that names no shape or colour the classifier knows is refused on the Guard node", async () => {
    const plan = planRun(
      dnoWorkflow({
        model: MODEL,
        prompt: "a photo of a duck",
        sampler: { steps: 2 },
        rewards: [{ params: { kind: "brightness" } }],
        guards: [{ label: "Keep the prompt", params: { kind: "prompt-keeper" } }],
        optimizer: { iterations: 1 },
      }),
    );
    const failure = await runDno({ plan, env }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ExecutorError);
    expect(failure).toMatchObject({ code: "PLAN_REFUSED", nodeId: "guard-1" });
    expect((failure as ExecutorError).message).toMatch(
      /^Guard “Keep the prompt”: the prompt “a photo of a duck” names no shape or colour .*circle, square, triangle/,
    );
  });

  it("the keeper's gradient through the bundled classifier's VJP matches finite differences", async () => {
    const model = await env.diffusion.loadModel(MODEL);
    const classifier = await OnnxImageClassifier.load(model.dir, env.onnx, {
      vjpCache: env.vjpCache,
      needer: "test",
    });
    const attributes = parsePromptAttributes(PROMPT).attributes.filter((a) => a.role !== "count");
    expect(attributes.map((a) => `${a.head}=${a.label}`)).toEqual([
      "color=red",
      "shape=circle",
      "background=blue",
    ]);
    // Floor 1: every attribute is below it, so every hinge is active on the run's starting picture.
    const keeper = new PromptKeeperGuard({ classifier, attributes, floor: 1, weight: 1 });
    const start = unguarded.initialImage;
    const images = imageBatch(start.data, [1, 3, start.height, start.width]);
    const { gradient } = await keeper.evaluate(images, { start: null, withGradient: true });
    const rng = createRng(9);
    const direction = Float32Array.from(gradient!, (g) => g + 0.1 * Math.abs(g) * rng.normal());
    let analytic = 0;
    for (let i = 0; i < direction.length; i++) analytic += gradient![i]! * direction[i]!;
    const h = 1e-3 / Math.sqrt(analytic);
    const at = async (sign: number) =>
      (
        await keeper.evaluate(
          imageBatch(
            images.data.map((v, i) => v + sign * h * direction[i]!),
            [1, 3, start.height, start.width],
          ),
          { start: null, withGradient: false },
        )
      ).penalties[0]!;
    const numeric = ((await at(1)) - (await at(-1))) / (2 * h);
    console.log(
      `prompt keeper: analytic ${analytic.toExponential(4)}, finite differences ${numeric.toExponential(4)}`,
    );
    // ReLU kinks in the classifier allow a few per cent.
    expect(Math.abs(analytic - numeric)).toBeLessThan(0.05 * Math.abs(numeric));
  });
});
