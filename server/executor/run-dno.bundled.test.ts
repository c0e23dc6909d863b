/**
 * DNO on the bundled model (models/tiny-shapes-sd): the whole chain's gradient against finite differences,
 * each estimator raising its reward, the reward-hacking demo (numbers printed), and hybrid vs zeroth-order
 * on a JPEG target. Skipped while the model folder is absent (it is built by models/build.py).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { exampleWorkflows } from "@/nodes/graph/examples";
import {
  createClassProbabilityReward,
  createPromptFaithfulnessReward,
} from "@/server/dno/rewards/classifier";
import { brightnessReward } from "@/server/dno/rewards/image-statistics";
import { imageBatch } from "@/server/dno/rewards/reward";
import { createRng } from "@/server/models/rng";
import { encodePrompts } from "@/server/models/sampler";
import { createOnnxRuntime } from "@/server/onnx/runtime";
import { DiffusionChain } from "./chain";
import { OnnxImageClassifier } from "./classifier";
import { createExecutorEnvironment, type ExecutorEnvironment } from "./environment";
import { planRun } from "./plan";
import { type IterationRecord, runDno } from "./run-dno";
import { dnoWorkflow, PAPER_ADAM, type WorkflowSpec } from "./testing/workflows";

const MODEL = "tiny-shapes-sd";
const modelPresent = existsSync(path.join(import.meta.dirname, "../../models", MODEL, "unet/model.onnx"));

let env: ExecutorEnvironment;

beforeAll(async () => {
  if (!modelPresent) return;
  const onnx = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });
  env = await createExecutorEnvironment({ onnx });
});

const base = {
  model: MODEL,
  prompt: "a red circle on a blue background",
  noise: { seed: 7 },
  sampler: { steps: 10, eta: 1, guidanceScale: 5 },
} satisfies Partial<WorkflowSpec>;

const run = async (spec: WorkflowSpec) => runDno({ plan: planRun(dnoWorkflow(spec)), env });
const reward = (record: IterationRecord, id = "reward-1") => record.rewards[id]!;

describe.skipIf(!modelPresent)("DNO on the bundled model", () => {
  it("pulls the brightness gradient back through VAE and DDIM chain exactly (finite differences)", async () => {
    const model = await env.diffusion.loadModel(MODEL);
    const chain = new DiffusionChain(model, env.onnx, env.vjpCache);
    const conditioning = await encodePrompts(model, [base.prompt]);
    const settings = { steps: 4, eta: 1, guidanceScale: 5 };
    const n = chain.latentSize;
    const rng = createRng(5);
    const normal = () => Float32Array.from({ length: n }, () => rng.normal());
    const xT = normal();
    const steps = Array.from({ length: settings.steps }, normal);
    const brightnessAt = async (x: Float32Array, z: Float32Array[]) => {
      const forward = await chain.forward(conditioning, x, z, settings);
      const images = imageBatch(forward.image.data, [1, 3, forward.image.height, forward.image.width]);
      return { forward, images, value: (brightnessReward.evaluate(images) as Float64Array)[0]! };
    };
    const { forward, images } = await brightnessAt(xT, steps);
    const { gradient } = await brightnessReward.valueAndGradient!(images);
    const x0Gradient = await chain.decoderBackward(forward.latents.at(-1)!, 1, gradient);
    const grads = await chain.samplerBackward(conditioning, forward.latents, x0Gradient, settings, {
      stepNoiseGradients: true,
    });
    for (const seed of [1, 2]) {
      const dirRng = createRng(100 + seed);
      const dx = Float32Array.from({ length: n }, () => dirRng.normal());
      const dz = steps.map(() => Float32Array.from({ length: n }, () => dirRng.normal()));
      let analytic = 0;
      for (let i = 0; i < n; i++) analytic += grads.xT[i]! * dx[i]!;
      dz.forEach((d, s) => {
        for (let i = 0; i < n; i++) analytic += grads.stepNoises![s]![i]! * d[i]!;
      });
      const h = 1e-2;
      const at = async (sign: number) =>
        (
          await brightnessAt(
            xT.map((v, i) => v + sign * h * dx[i]!),
            steps.map((z, s) => z.map((v, i) => v + sign * h * dz[s]![i]!)),
          )
        ).value;
      const numeric = ((await at(1)) - (await at(-1))) / (2 * h);
      console.log(
        `chain gradient · direction ${seed}: analytic ${analytic.toFixed(6)}, finite differences ${numeric.toFixed(6)}`,
      );
      expect(Math.abs(analytic - numeric)).toBeLessThan(0.02 * Math.abs(numeric) + 1e-4);
    }
  });

  it("backprop raises brightness within 8 iterations", async () => {
    // Weight 100: PR's gradient at typical noise (norm ~0.3, fresh permutations every iteration) is ~10× the
    // brightness gradient at weight 1, so a weight-1 brightness barely moves with PR on; at 100 it leads
    // while PR stays near its floor.
    const result = await run({
      ...base,
      rewards: [{ params: { kind: "brightness", weight: 100 } }],
      guards: [{ params: { kind: "probability-regularization", permutations: 20 } }],
      optimizer: { ...PAPER_ADAM, iterations: 8, learningRate: 0.05 },
    });
    const first = reward(result.history[0]!);
    const last = reward(result.history.at(-1)!);
    console.log(`backprop brightness: ${first.toFixed(4)} → ${last.toFixed(4)}`);
    expect(last).toBeGreaterThan(first + 0.01);
  });

  it("reward hacking: without PR brightness drives PR up and faithfulness down; with PR (γ = 1) faithfulness stays near its start", async () => {
    const demo = (gamma: number) =>
      run({
        ...base,
        rewards: [
          { params: { kind: "brightness" } },
          { label: "Faithfulness", params: { kind: "prompt-faithfulness", weight: 0 } },
        ],
        // PR's default 100 shuffles: with 20, its gradient at typical noise is noisier, and Adam turns that
        // noise into a random walk of the noise that alone moves faithfulness by ~0.1 on the bundled model.
        guards: [{ params: { kind: "probability-regularization", gamma, permutations: 100 } }],
        optimizer: { ...PAPER_ADAM, iterations: 20, learningRate: 0.2 },
      });
    const rows: string[] = [];
    const summary = async (gamma: number) => {
      const result = await demo(gamma);
      const first = result.history[0]!;
      const last = result.history.at(-1)!;
      const line = {
        gamma,
        brightness: [reward(first), reward(last)],
        faithfulness: [reward(first, "reward-2"), reward(last, "reward-2")],
        pr: [first.pr!, last.pr!],
      };
      rows.push(
        `γ = ${gamma}: brightness ${line.brightness.map((v) => v.toFixed(4)).join(" → ")}, faithfulness ${line.faithfulness
          .map((v) => v.toFixed(4))
          .join(" → ")}, PR ${line.pr.map((v) => v.toFixed(2)).join(" → ")}`,
      );
      return line;
    };
    const free = await summary(0);
    const guarded = await summary(1);
    console.log(`reward-hacking demo (20 iterations, Adam lr 0.2):\n  ${rows.join("\n  ")}`);
    expect(free.brightness[1]!).toBeGreaterThan(free.brightness[0]!);
    expect(free.pr[1]!).toBeGreaterThan(50);
    expect(free.faithfulness[1]!).toBeLessThan(free.faithfulness[0]! / 2);
    expect(guarded.pr[1]!).toBeLessThan(free.pr[1]! / 5);
    // "Near its start", relative to the start: even PR-guarded brightening moves the scene's colours a little
    // (the final bundled model's faithfulness falls 0.92 → 0.83 here while PR stays at its floor), so the
    // guarded run keeps 85 % of its start and loses under a quarter of what the unguarded run loses.
    const guardedLoss = guarded.faithfulness[0]! - guarded.faithfulness[1]!;
    expect(guarded.faithfulness[1]!).toBeGreaterThan(0.85 * guarded.faithfulness[0]!);
    expect(guardedLoss).toBeLessThan((free.faithfulness[0]! - free.faithfulness[1]!) / 4);
  });

  it("the calibrated meter: seed 7 starts at PR ≈ 3.39, off its floor but below the 99th percentile of fresh noise of its size (no fire)", async () => {
    // The example "Brighten with a guard": seed 7, 50 steps (D = 51·4·8·8), PR's 100 shuffles.
    const result = await run({
      ...base,
      sampler: { ...base.sampler, steps: 50 },
      rewards: [{ params: { kind: "brightness" } }],
      guards: [{ params: { kind: "probability-regularization" } }],
      optimizer: { iterations: 1 },
    });
    const first = result.history[0]!;
    const meter = first.prMeter!;
    console.log(
      `seed 7, iteration 0: PR ${first.pr!.toFixed(3)}, ${meter.percentile}th percentile (${meter.band})`,
    );
    // Raw PR is off its floor 4·log 2 (a clamp is open: what used to count as "fired")…
    expect(first.pr!).toBeGreaterThan(4 * Math.log(2) + 0.1);
    // …but fresh Gaussian noise of this size does that often: below the 99th percentile, the guard stays quiet.
    expect(meter.percentile).toBeLessThan(99);
    expect(first.guards["probability-regularization"]!.fired).toBe(false);
    expect(meter.firesFrom!).toBeGreaterThan(first.pr!);
  });

  it("hybrid and zeroth-order raise JPEG compressibility; hybrid reaches the target in fewer model evaluations", async () => {
    // q = 8 tries of size μ = 0.1: a 64×64 JPEG's size moves by whole bytes, and tries of the paper's μ = 0.01
    // change it by little more than rounding noise, so neither estimator gets a usable direction from them.
    const sampling = { ...PAPER_ADAM, learningRate: 0.03, perturbations: 8, smoothing: 0.1 };
    const jpeg = (estimator: "hybrid" | "zeroth-order", iterations: number) =>
      run({
        ...base,
        rewards: [{ params: { kind: "jpeg-compressibility" } }],
        optimizer: { iterations, estimator, ...sampling },
      });
    // A VJP pass recomputes the forward and runs the backward: it counts as three forward passes.
    const cost = (record: IterationRecord) => record.evaluations.forward + 3 * record.evaluations.vjp;
    const hybrid = await jpeg("hybrid", 10);
    // Zeroth-order gets at least hybrid's whole budget (q + 1 forwards per iteration against q + 1 + 3).
    const perIteration = sampling.perturbations + 1;
    const zeroth = await jpeg("zeroth-order", Math.ceil(cost(hybrid.history.at(-1)!) / perIteration));
    const start = reward(hybrid.history[0]!);
    // The same starting noise (batched with the tries, so a pixel may round differently: a byte or two).
    expect(reward(zeroth.history[0]!)).toBeCloseTo(start, 2);
    // A JPEG 2 % smaller than the starting image's (the reward is −size in kB, so the start is negative).
    const target = start + 0.02 * Math.abs(start);
    const reach = (history: readonly IterationRecord[]) => history.find((record) => reward(record) >= target);
    const lines = [hybrid, zeroth].map((result, i) => {
      const hit = reach(result.history);
      return `${i === 0 ? "hybrid" : "zeroth-order"}: JPEG reward ${result.history.map((r) => reward(r).toFixed(3)).join(" → ")}; target ${target.toFixed(3)} ${hit ? `reached after ${cost(hit)} forward-equivalents` : `not reached in ${cost(result.history.at(-1)!)}`}`;
    });
    console.log(lines.join("\n"));
    for (const result of [hybrid, zeroth]) {
      expect(Math.max(...result.history.slice(1).map((record) => reward(record)))).toBeGreaterThan(start);
    }
    const hybridHit = reach(hybrid.history);
    expect(hybridHit).toBeDefined();
    const zerothHit = reach(zeroth.history);
    expect(cost(zeroth.history.at(-1)!)).toBeGreaterThanOrEqual(cost(hybrid.history.at(-1)!));
    expect(cost(hybridHit!)).toBeLessThan(zerothHit ? cost(zerothHit) : cost(zeroth.history.at(-1)!));
  });

  it("pulls classifier-probability and prompt-faithfulness gradients through the classifier's VJP", async () => {
    const model = await env.diffusion.loadModel(MODEL);
    const classifier = await OnnxImageClassifier.load(model.dir, env.onnx, {
      vjpCache: env.vjpCache,
      needer: "test",
    });
    expect(classifier.heads.shape).toEqual(["circle", "square", "triangle"]);
    // Oracle 1: PyTorch's gradient of the classifier (the model build's fixture), exactly.
    const fixture = JSON.parse(
      readFileSync(path.join(model.dir, "fixtures/classifier_vjp.json"), "utf8"),
    ) as {
      inputs: { image: { data: number[] } };
      cotangent: { data: number[] };
      grads: { image: { data: number[] } };
    };
    const images = imageBatch(Float32Array.from(fixture.inputs.image.data), [1, 3, 64, 64]);
    const cotangent = fixture.cotangent.data;
    const head = (from: number, to: number) => Float32Array.from(cotangent.slice(from, to));
    const vjp = await classifier.vjp(images, {
      shape: head(0, 3),
      color: head(3, 9),
      background: head(9, 15),
    });
    const reference = fixture.grads.image.data;
    let errorSquared = 0;
    let referenceSquared = 0;
    for (let i = 0; i < reference.length; i++) {
      errorSquared += (vjp[i]! - reference[i]!) ** 2;
      referenceSquared += reference[i]! ** 2;
    }
    expect(Math.sqrt(errorSquared / referenceSquared)).toBeLessThan(1e-4);
    // Oracle 2: finite differences of each reward on that real scene (ReLU kinks allow a few per cent).
    const rng = createRng(9);
    const rewards = [
      createClassProbabilityReward({ classifier, head: "shape", label: "circle", mode: "prob" }),
      createPromptFaithfulnessReward({ classifier, prompt: base.prompt, mode: "prob" }),
    ];
    for (const reward of rewards) {
      const { gradient } = await reward.valueAndGradient!(images);
      const direction = Float32Array.from(gradient, (g) => g + 0.1 * Math.abs(g) * rng.normal());
      let analytic = 0;
      for (let i = 0; i < direction.length; i++) analytic += gradient[i]! * direction[i]!;
      const h = 1e-3 / Math.sqrt(analytic);
      const at = async (sign: number) =>
        (
          await reward.evaluate(
            imageBatch(
              images.data.map((v, i) => v + sign * h * direction[i]!),
              [1, 3, 64, 64],
            ),
          )
        )[0]!;
      const numeric = ((await at(1)) - (await at(-1))) / (2 * h);
      console.log(
        `${reward.id}: analytic ${analytic.toExponential(4)}, finite differences ${numeric.toExponential(4)}`,
      );
      expect(Math.abs(analytic - numeric)).toBeLessThan(0.05 * Math.abs(numeric));
    }
  });

  it("runs every example workflow (shortened) end to end", async () => {
    for (const example of exampleWorkflows) {
      const document = structuredClone(example.document);
      for (const node of document.nodes) {
        if (node.type === "sampler") node.params.steps = 6;
        if (node.type === "optimizer") node.params = { ...node.params, iterations: 2, perturbations: 2 };
      }
      const result = await runDno({ plan: planRun(document), env });
      expect(result.history).toHaveLength(2);
      expect(result.history[0]!.pr).not.toBeNull();
    }
  });
});
