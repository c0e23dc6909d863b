/**
 * How much each guard changed the update (issue 11: "the update was pulled back by 32 %"), against numbers
 * worked out by hand: noise penalties against the rewards' noise gradient, a trust region's projection
 * against the optimizer's step, keepers and image guards against the rewards' image-space direction (with an
 * estimator, its direction). Fired means a change of at least MATERIAL_CHANGE (5 %), a stop, or PR's
 * percentile.
 */
import { describe, expect, it } from "vitest";
import type { GuardReport, NoisePenaltyGuard } from "./guards/guard";
import type { ImagePenaltyGuard } from "./guards/image-guard";
import { KeeperFloorGuard } from "./guards/keeper-floor";
import { TrustRegionGuard } from "./guards/trust-region";
import {
  applyNoiseGuards,
  evaluateRewardStage,
  iterationMetrics,
  MATERIAL_CHANGE,
  measureImageGuardChanges,
  PR_GUARD_ID,
  projectIntoTrustRegions,
} from "./objective";
import type { ImageBatch, Reward } from "./rewards/reward";
import type { FloatArray } from "./tensor";

/** A noise guard that adds a fixed loss gradient and reports itself active. */
function constantGuard(id: string, gradient: readonly number[]): NoisePenaltyGuard {
  return {
    id,
    evaluate(_z: FloatArray, _iteration: number, lossGradient?: FloatArray): GuardReport {
      if (lossGradient) for (let i = 0; i < gradient.length; i++) lossGradient[i]! += gradient[i]!;
      return { value: 1, fired: true, penalty: 0.5 };
    },
  };
}

describe("how much a noise guard changed the update", () => {
  const rewardGradient = Float32Array.from([3, 4]); // ‖·‖ = 5

  it("is ‖the guard's part‖ / ‖the rewards' part‖, and fired only from 5 %", () => {
    const loss = new Float32Array(2);
    const stage = applyNoiseGuards(
      [
        constantGuard("strong", [1.5, -2]),
        constantGuard("weak", [0.06, 0.08]),
        constantGuard(PR_GUARD_ID, [0, 0.1]),
      ],
      new Float32Array(2),
      0,
      rewardGradient,
      loss,
    );
    expect(stage.reports.strong!.change).toBeCloseTo(2.5 / 5, 6);
    expect(stage.reports.strong!.fired).toBe(true);
    expect(stage.reports.weak!.change).toBeCloseTo(0.1 / 5, 6); // float32 buffer
    expect(stage.reports.weak!.change!).toBeLessThan(MATERIAL_CHANGE);
    expect(stage.reports.weak!.fired).toBe(false);
    // PR keeps its percentile verdict; its change is reported beside it.
    expect(stage.reports[PR_GUARD_ID]!.change).toBeCloseTo(0.1 / 5, 6);
    expect(stage.reports[PR_GUARD_ID]!.fired).toBe(true);
    // The loss gradient itself is the plain sum, untouched by the measuring.
    expect(Array.from(loss)).toEqual(Array.from(Float32Array.from([-3 + 1.5 + 0.06, -4 - 2 + 0.08 + 0.1])));
  });

  it("is not measured without a reward direction (the guard's own verdict stands)", () => {
    const stage = applyNoiseGuards(
      [constantGuard("g", [1, 1])],
      new Float32Array(2),
      0,
      new Float32Array(2),
      new Float32Array(2),
    );
    expect(stage.reports.g!.change).toBeUndefined();
    expect(stage.reports.g!.fired).toBe(true);
  });

  it("a projection's change is its pull-back over the optimizer's step", () => {
    const guard = new TrustRegionGuard(new Float32Array(2), { radius: 1 });
    const before = Float32Array.from([0.6, 0]);
    const z = Float32Array.from([1.6, 0]); // the step moved it by 1.0; projected back to 1.0, pulled 0.6
    const reports = projectIntoTrustRegions([guard], z, before);
    expect(z[0]).toBeCloseTo(1, 6);
    expect(reports["trust-region:projection"]!.change).toBeCloseTo(0.6, 6);
    expect(reports["trust-region:projection"]!.fired).toBe(true);
    const inside = projectIntoTrustRegions([guard], Float32Array.from([0.5, 0]), Float32Array.from([0.4, 0]));
    expect(inside["trust-region:projection"]!.change).toBe(0);
    expect(inside["trust-region:projection"]!.fired).toBe(false);
  });

  it("is stored per iteration with the guard's value (the largest over a batch)", () => {
    const stageA = applyNoiseGuards(
      [constantGuard("g", [1.5, -2])],
      new Float32Array(2),
      0,
      rewardGradient,
      new Float32Array(2),
    );
    const stageB = applyNoiseGuards(
      [constantGuard("g", [0.3, 0.4])],
      new Float32Array(2),
      0,
      rewardGradient,
      new Float32Array(2),
    );
    const rewardStage = {
      scores: {},
      weightedTotal: new Float64Array(2),
      keeperReports: {},
      imageGuardReports: {},
      keeperPenalty: new Float64Array(2),
      withoutGradient: [],
      stop: false,
    };
    const metrics = iterationMetrics({
      iteration: 0,
      rewardStage,
      noiseStages: [stageA, stageB],
      gradNorm: 0,
      ms: { forward: 0, backward: 0, rewards: 0, guards: 0, update: 0 },
    });
    expect(metrics.guards.g).toEqual({ value: 1, fired: true, change: 0.5 });
  });
});

/** 1 image of 1×1×4 "pixels"; a reward whose image gradient is (1, 1, 1, 1) (‖·‖ = 2) and score 0.4. */
const images: ImageBatch = { data: new Float32Array(4), batch: 1, channels: 1, height: 2, width: 2 };
const flat: Reward = {
  id: "r",
  differentiable: true,
  evaluate: () => Float64Array.of(0.4),
  valueAndGradient: () => ({ scores: Float64Array.of(0.4), gradient: Float32Array.of(1, 1, 1, 1) }),
};
const blackBox: Reward = { id: "jpeg", differentiable: false, evaluate: () => Float64Array.of(-1.2) };

function imageGuard(id: string, gradient: readonly number[]): ImagePenaltyGuard {
  return {
    id,
    evaluate: () => ({
      penalties: Float64Array.of(0.1),
      gradient: Float32Array.from(gradient),
      report: { value: 0.8, fired: true, penalty: 0.1 },
    }),
  };
}

describe("how much a keeper or an image guard changed the update (measured on the picture)", () => {
  it("against the differentiable rewards' Σ w·∂r/∂x", async () => {
    const stage = await evaluateRewardStage(
      {
        rewards: [{ reward: flat, weight: 2 }], // rewards' part (2, 2, 2, 2): ‖·‖ = 4
        keeperFloors: [new KeeperFloorGuard({ rewardId: "r", floor: 0.5, weight: 3 })], // 3·(1,1,1,1): 6
        imageGuards: [imageGuard("keep", [0, 0, 0, 1]), imageGuard("tiny", [0.1, 0, 0, 0])],
      },
      images,
      { withGradient: true },
    );
    expect(stage.keeperReports["keeper-floor:r"]!.change).toBeCloseTo(6 / 4, 12);
    expect(stage.imageGuardReports.keep!.change).toBeCloseTo(1 / 4, 12);
    expect(stage.imageGuardReports.keep!.fired).toBe(true);
    expect(stage.imageGuardReports.tiny!.change).toBeCloseTo(0.1 / 4, 7);
    expect(stage.imageGuardReports.tiny!.fired).toBe(false);
    // The cotangent is what it always was: 2 + 3 − guard gradients.
    expect(Array.from(stage.imageCotangent!)).toEqual([4.9, 5, 5, 4].map((v) => Math.fround(v)));
  });

  it("with an estimator, against its image-space direction once it is known", async () => {
    const stage = await evaluateRewardStage(
      { rewards: [{ reward: blackBox, weight: 1 }], imageGuards: [imageGuard("keep", [0, 0, 0.3, 0.4])] },
      images,
      { withGradient: true },
    );
    expect(stage.withoutGradient).toEqual(["jpeg"]);
    expect(stage.imageGuardReports.keep!.change).toBeUndefined();
    measureImageGuardChanges(stage, Float32Array.of(0.6, 0.8, 0, 0)); // a unit direction
    expect(stage.imageGuardReports.keep!.change).toBeCloseTo(0.5, 6);
    expect(stage.imageGuardReports.keep!.fired).toBe(true);
  });
});
