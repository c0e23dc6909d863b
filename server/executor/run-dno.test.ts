/**
 * The loop on a tiny nonlinear model folder (no bundled model needed): reproducibility, checkpoint/resume,
 * batches, each estimator's bookkeeping. The bundled-model behaviour tests are in run-dno.bundled.test.ts.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ProbabilityRegularizationPool } from "@/server/dno/guards/probability-regularization-pool";
import { createOnnxRuntime } from "@/server/onnx/runtime";
import { createExecutorEnvironment, type ExecutorEnvironment } from "./environment";
import { planRun } from "./plan";
import { type DnoCheckpoint, type IterationRecord, runDno } from "./run-dno";
import { writeTinyDnoModelFolder } from "./testing/tiny-dno-model";
import { dnoWorkflow, PAPER_ADAM, type WorkflowSpec } from "./testing/workflows";

let modelDir: string;
let vjpDir: string;

async function environment(): Promise<ExecutorEnvironment> {
  const onnx = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });
  // The tiny folder is a MODELS_DIR model: workflows name it by id ("user:<folder>"), never by path.
  return createExecutorEnvironment({
    onnx,
    vjpCacheDir: vjpDir,
    directories: { bundledDir: path.resolve("models"), userDir: modelDir },
  });
}

/** The history without timings (the only numbers allowed to differ between two identical runs). */
function numbers(history: readonly IterationRecord[]) {
  return history.map(({ ms: _ms, onnxMs: _onnx, totalMs: _total, ...rest }) => rest);
}

function spec(overrides: Partial<WorkflowSpec> = {}): WorkflowSpec {
  return {
    model: `user:${path.basename(modelDir)}`,
    prompt: "a red circle on blue background",
    noise: { seed: 11 },
    sampler: { steps: 4, eta: 1, guidanceScale: 3 },
    rewards: [{ params: { kind: "brightness" } }],
    guards: [{ params: { kind: "probability-regularization", permutations: 8 } }],
    optimizer: { ...PAPER_ADAM, iterations: 5, learningRate: 0.05 },
    ...overrides,
  };
}

beforeAll(() => {
  modelDir = writeTinyDnoModelFolder();
  vjpDir = mkdtempSync(path.join(tmpdir(), "dno-vjp-"));
});

describe("runDno on a tiny model", () => {
  it("raises brightness with backprop, reports every metric, and keeps initial/best/final images", async () => {
    const events: number[] = [];
    const result = await runDno({
      plan: planRun(dnoWorkflow(spec({ guards: [...spec().guards!, { params: { kind: "keep-best" } }] }))),
      env: await environment(),
      onIteration: ({ record }) => {
        events.push(record.iteration);
      },
    });
    expect(events).toEqual([0, 1, 2, 3, 4]);
    const first = result.history[0]!;
    const last = result.history.at(-1)!;
    expect(last.rewards["reward-1"]!).toBeGreaterThan(first.rewards["reward-1"]!);
    expect(first.pr).not.toBeNull();
    // The calibrated meter is recorded with every iteration (METHOD.md §5).
    expect(first.prMeter!.percentile).toBeGreaterThanOrEqual(0);
    expect(first.prMeter!.percentile).toBeLessThanOrEqual(100);
    expect(first.prMeter!.firesFrom).toBeGreaterThan(first.prMeter!.driftingFrom);
    expect(first.guards["probability-regularization"]).toBeDefined();
    expect(first.guards["best-iterate"]).toBeDefined();
    expect(first.gradNorm).toBeGreaterThan(0);
    expect(Object.keys(first.ms).sort()).toEqual(["backward", "forward", "guards", "rewards", "update"]);
    expect(result.evaluations).toEqual({ forward: 5, vjp: 5 });
    expect(result.initialImage.data).not.toEqual(result.finalImage.data);
    const objectives = result.history.map((record) => record.objective);
    expect(result.bestIteration).toBe(objectives.indexOf(Math.max(...objectives)));
    expect(result.resultImage.data).toEqual(result.bestImage.data);
  });

  it("gives identical numbers for the same workflow, model and seeds", async () => {
    const plan = planRun(dnoWorkflow(spec()));
    const a = await runDno({ plan, env: await environment() });
    const b = await runDno({ plan, env: await environment() });
    expect(numbers(b.history)).toEqual(numbers(a.history));
    expect(b.finalImage.data).toEqual(a.finalImage.data);
  });

  it("computes PR on the worker pool (overlapping the model) with the inline numbers", async () => {
    const plan = planRun(dnoWorkflow(spec()));
    // Summation order differs (float32 gradients), so the numbers agree to ~1e-7, not bit for bit.
    const inline = await runDno({ plan, env: await environment() });
    const pool = new ProbabilityRegularizationPool({ workers: 1 });
    try {
      const pooled = await runDno({ plan, env: await environment(), prPool: pool });
      const again = await runDno({ plan, env: await environment(), prPool: pool });
      expect(numbers(again.history)).toEqual(numbers(pooled.history));
      pooled.history.forEach((record, i) => {
        const reference = inline.history[i]!;
        expect(record.pr!).toBeCloseTo(reference.pr!, 6);
        expect(record.objective).toBeCloseTo(reference.objective, 6);
        expect(record.gradNorm).toBeCloseTo(reference.gradNorm, 6);
        expect(record.guards["probability-regularization"]!.fired).toBe(
          reference.guards["probability-regularization"]!.fired,
        );
      });
    } finally {
      await pool.close();
    }
  });

  it("resumes from a JSON checkpoint to exactly the uninterrupted run", async () => {
    const plan = planRun(
      dnoWorkflow(spec({ guards: [...spec().guards!, { params: { kind: "early-stop", patience: 50 } }] })),
    );
    const whole = await runDno({ plan, env: await environment() });
    const paused = await runDno({ plan, env: await environment(), pauseAfter: 2 });
    expect(paused.stopReason).toBe("paused");
    const checkpoint = JSON.parse(JSON.stringify(paused.checkpoint)) as DnoCheckpoint;
    expect(checkpoint.nextIteration).toBe(2);
    const resumed = await runDno({ plan, env: await environment(), resume: checkpoint });
    expect(numbers(resumed.history)).toEqual(numbers(whole.history));
    expect(resumed.finalImage.data).toEqual(whole.finalImage.data);
    expect(resumed.checkpoint.noise).toEqual(whole.checkpoint.noise);
    const other = planRun(dnoWorkflow(spec({ noise: { seed: 12 } })));
    await expect(runDno({ plan: other, env: await environment(), resume: checkpoint })).rejects.toThrow(
      /another workflow version, other seeds or other model files/,
    );
  });

  it("resumes the default optimizer (SGD-Nesterov, normalized direction, cosine schedule) exactly", async () => {
    // The schedule depends only on the iteration and the normalization only on the gradient, so the
    // checkpoint needs nothing new; the learning rate must still follow the schedule after the resume.
    const plan = planRun(dnoWorkflow(spec({ optimizer: { iterations: 5, learningRate: 0.05 } })));
    expect(plan.optimizer.params).toMatchObject({ algorithm: "sgd-nesterov", schedule: "cosine" });
    const whole = await runDno({ plan, env: await environment() });
    const paused = await runDno({ plan, env: await environment(), pauseAfter: 2 });
    const checkpoint = JSON.parse(JSON.stringify(paused.checkpoint)) as DnoCheckpoint;
    const resumed = await runDno({ plan, env: await environment(), resume: checkpoint });
    expect(numbers(resumed.history)).toEqual(numbers(whole.history));
    expect(resumed.checkpoint.noise).toEqual(whole.checkpoint.noise);
    // And the schedule changes the run: a constant step size ends elsewhere.
    const constant = planRun(
      dnoWorkflow(spec({ optimizer: { iterations: 5, learningRate: 0.05, schedule: "constant" } })),
    );
    expect((await runDno({ plan: constant, env: await environment() })).checkpoint.noise).not.toEqual(
      whole.checkpoint.noise,
    );
  });

  it("runs a batch of seeds as one batch, each image with its own noise", async () => {
    const result = await runDno({
      plan: planRun(
        dnoWorkflow(spec({ noise: { seed: 11, batchSeeds: [12] }, optimizer: { iterations: 2 } })),
      ),
      env: await environment(),
    });
    expect(result.finalImage.batch).toBe(2);
    expect(result.checkpoint.noise).toHaveLength(2);
    expect(result.evaluations).toEqual({ forward: 4, vjp: 4 });
    const single = await runDno({
      plan: planRun(dnoWorkflow(spec({ optimizer: { iterations: 2 } }))),
      env: await environment(),
    });
    // Image 0 of the batch is the single-seed run's image (the batch does not mix images).
    const per = single.finalImage.data.length;
    const diff = result.finalImage.data
      .subarray(0, per)
      .reduce((m, v, i) => Math.max(m, Math.abs(v - single.finalImage.data[i]!)), 0);
    expect(diff).toBeLessThan(1e-5);
  });

  it("counts model evaluations of the zeroth-order and hybrid estimators", async () => {
    const started = performance.now();
    const jpeg = [{ params: { kind: "jpeg-compressibility" } }];
    const zo = await runDno({
      plan: planRun(
        dnoWorkflow(
          spec({ rewards: jpeg, optimizer: { iterations: 2, estimator: "zeroth-order", perturbations: 3 } }),
        ),
      ),
      env: await environment(),
    });
    // Per iteration: z and q perturbed points, one batch; z's image is the iteration's image.
    expect(zo.evaluations).toEqual({ forward: 2 * (1 + 3), vjp: 0 });
    const hybrid = await runDno({
      plan: planRun(
        dnoWorkflow(
          spec({ rewards: jpeg, optimizer: { iterations: 2, estimator: "hybrid", perturbations: 3 } }),
        ),
      ),
      env: await environment(),
    });
    expect(hybrid.evaluations.forward).toBe(2 * (1 + 3));
    expect(hybrid.evaluations.vjp).toBeLessThanOrEqual(2);
    console.log(`estimator bookkeeping took ${Math.round(performance.now() - started)} ms`);
  });

  it("applies every guard: norm prior, trust region, keeper floor (penalty and stop), early stop", async () => {
    const guarded = await runDno({
      plan: planRun(
        dnoWorkflow(
          spec({
            optimizer: { ...PAPER_ADAM, iterations: 4, learningRate: 0.5 },
            guards: [
              { params: { kind: "norm-prior", lambda: 0.01 } },
              { params: { kind: "trust-region", maxDistance: 0.05 } },
              {
                params: { kind: "keeper-floor", floor: 10, onViolation: "penalty", penaltyWeight: 2 },
                keeper: { params: { kind: "contrast" } },
              },
            ],
          }),
        ),
      ),
      env: await environment(),
    });
    const record = guarded.history[1]!;
    expect(Object.keys(record.guards).sort()).toEqual([
      "keeper-floor:keeper-3",
      "norm-prior",
      "trust-region",
      "trust-region:projection",
    ]);
    expect(record.guards["keeper-floor:keeper-3"]!.fired).toBe(true);
    expect(record.rewards["keeper-3"]).toBeDefined();
    // objective = brightness − keeper penalty weight·(floor − contrast) − norm-prior penalty (its value).
    const keeperPenalty = 2 * (10 - record.rewards["keeper-3"]!);
    expect(record.objective).toBeCloseTo(
      record.rewards["reward-1"]! - keeperPenalty - record.guards["norm-prior"]!.value,
      9,
    );
    // The trust region projects every update back to 5 % of the starting noise's norm.
    expect(record.guards["trust-region:projection"]!.fired).toBe(true);
    const fresh = await runDno({
      plan: planRun(dnoWorkflow(spec({ optimizer: { iterations: 1 } }))),
      env: await environment(),
    });
    const z0 = fresh.checkpoint.noise[0]!;
    const z = guarded.checkpoint.noise[0]!;
    const distance = Math.sqrt(z.reduce((sum, v, i) => sum + (v - z0[i]!) ** 2, 0));
    const radius = 0.05 * Math.sqrt(z0.reduce((sum, v) => sum + v * v, 0));
    expect(distance).toBeLessThan(radius * (1 + 1e-5));

    const stopped = await runDno({
      plan: planRun(
        dnoWorkflow(
          spec({
            guards: [
              {
                params: { kind: "keeper-floor", floor: 10, onViolation: "stop" },
                keeper: { params: { kind: "contrast" } },
              },
            ],
          }),
        ),
      ),
      env: await environment(),
    });
    expect(stopped.stopReason).toBe("keeper-floor");
    expect(stopped.history).toHaveLength(1);
    const plateau = await runDno({
      plan: planRun(
        dnoWorkflow(
          spec({
            optimizer: { ...PAPER_ADAM, iterations: 6, learningRate: 0.00001 },
            guards: [{ params: { kind: "early-stop", patience: 2, minDelta: 1 } }],
          }),
        ),
      ),
      env: await environment(),
    });
    expect(plateau.stopReason).toBe("early-stop");
    expect(plateau.history).toHaveLength(3);
  });

  it("names the Sampler when its model cannot be loaded", async () => {
    await expect(
      runDno({ plan: planRun(dnoWorkflow(spec({ model: "no-such-model" }))), env: await environment() }),
    ).rejects.toThrow(/Sampler “Sampler” cannot load its model: No model "no-such-model"/);
  });

  it("stops when cancelled", async () => {
    const controller = new AbortController();
    await expect(
      runDno({
        plan: planRun(dnoWorkflow(spec())),
        env: await environment(),
        signal: controller.signal,
        onIteration: () => controller.abort(),
      }),
    ).rejects.toThrow(/cancelled/);
  });
});
