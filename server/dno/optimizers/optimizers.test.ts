import { describe, expect, it } from "vitest";
import { gaussian } from "@/server/models/rng";
import { Adam } from "./adam";
import { clipGradientNorm, createOptimizer, type OptimizerConfig, Sgd } from "./index";

/**
 * Reference trajectories from PyTorch 1.13 (float64), loss = Σ|p − t|³ + 0.1·Σp², p0 and t below,
 * three steps each (script: torch.optim.{Adam,AdamW,SGD} + clip_grad_norm_, printed as JSON).
 */
const TORCH: Record<string, number[][]> = {
  adam: [
    [0.5999999984615385, -1.1500000001059603, 1.9000000000522193, 0.09999999466666695],
    [0.6946764475843213, -1.0504730770559474, 1.8002926762899079, 0.183234743181221],
    [0.7784790616170064, -0.9517744031165998, 1.7010897312846416, 0.23947482318224472],
  ],
  adam_wd: [
    [0.5999999984, -1.1500000001052633, 1.9000000000519481, 0.09999999466666695],
    [0.6940052839208245, -1.0504718551341006, 1.8002919542643385, 0.1818041673323359],
    [0.77545076847073, -0.9517699039857669, 1.7010870393177642, 0.2338670854975532],
  ],
  adamw_wd: [
    [0.5974999984615385, -1.1437500001059602, 1.8900000000522192, 0.09999999466666695],
    [0.6879738787629154, -1.0388807656322991, 1.7811223249146602, 0.1799012649711993],
    [0.7652686329513888, -0.9360006545796496, 1.6737639354435427, 0.22912388857623556],
  ],
  sgd_nesterov: [
    [0.56175, -0.3534375, 0.18075, 0.017812500000000002],
    [0.6321397228125, 0.24307789892578135, -0.7303341103125, 0.040432457519531256],
    [0.7011735924795648, 0.6926268942303624, -1.457124601883879, 0.0654213134836159],
  ],
  sgd_momentum_wd: [
    [0.53, -0.771875, 1.0325, 0.009375000000000001],
    [0.570185, -0.27858447265624997, 0.18097906249999998, 0.022606933593750003],
    [0.60943586513375, 0.06316862526468045, -0.31705596472200687, 0.03663993738416434],
  ],
  adam_clip: [
    [0.599999934277182, -1.1500000045266074, 1.9000000022308021, 0.09999977216126685],
    [0.6958529416661633, -1.0500848925960993, 1.7999820831179258, 0.18442882810031666],
    [0.7818615573825287, -0.9503274605743821, 1.6999340712663698, 0.2396565202315095],
  ],
  sgd_nesterov_clip: [
    [0.5014454635454504, -1.2290129812150956, 1.9574144201609622, 0.0004169606381106831],
    [0.5035436452138559, -1.1989076084930321, 1.896760138620446, 0.0010236385667805694],
    [0.5062665829382844, -1.1604271140900078, 1.8199305663360377, 0.0018133767036741049],
  ],
};
const P0 = [0.5, -1.25, 2.0, 0.0];
const TARGET = [1.0, 0.5, -0.5, 0.25];

function lossGradient(p: Float64Array, out: Float64Array): void {
  for (let i = 0; i < p.length; i++) {
    const d = p[i]! - TARGET[i]!;
    out[i] = 3 * d * Math.abs(d) + 0.2 * p[i]!;
  }
}

function trajectory(config: OptimizerConfig, clip?: number): number[][] {
  const p = Float64Array.from(P0);
  const g = new Float64Array(4);
  const optimizer = createOptimizer([4], config);
  const out: number[][] = [];
  for (let s = 0; s < 3; s++) {
    lossGradient(p, g);
    if (clip !== undefined) clipGradientNorm([g], clip);
    optimizer.step([p], [g]);
    out.push(Array.from(p));
  }
  return out;
}

function expectClose(actual: number[][], expected: number[][] | undefined): void {
  expect(expected).toBeDefined();
  for (let s = 0; s < actual.length; s++) {
    for (let i = 0; i < actual[s]!.length; i++) expect(actual[s]![i]).toBeCloseTo(expected![s]![i]!, 12);
  }
}

describe("optimizers (minimize; PyTorch update rules)", () => {
  it("Adam's first step is lr·g/(|g| + eps) per coordinate (by hand)", () => {
    const p = Float64Array.from([1, -2]);
    const g = Float64Array.from([0.5, -3]);
    new Adam([2], { learningRate: 0.1 }).step([p], [g]);
    expect(p[0]).toBeCloseTo(1 - (0.1 * 0.5) / (0.5 + 1e-8), 14);
    expect(p[1]).toBeCloseTo(-2 + (0.1 * 3) / (3 + 1e-8), 14);
  });

  it("Nesterov SGD's first two steps by hand", () => {
    // Step 1: b = g, p −= lr·(g + μ·g). Step 2: b = μ·b + g2, p −= lr·(g2 + μ·b).
    const p = Float64Array.from([1]);
    const sgd = new Sgd([1], { learningRate: 0.1, momentum: 0.9 });
    sgd.step([p], [Float64Array.from([2])]);
    expect(p[0]).toBeCloseTo(1 - 0.1 * (2 + 0.9 * 2), 14);
    sgd.step([p], [Float64Array.from([1])]);
    const b2 = 0.9 * 2 + 1;
    expect(p[0]).toBeCloseTo(1 - 0.1 * (2 + 0.9 * 2) - 0.1 * (1 + 0.9 * b2), 14);
  });

  it("matches PyTorch trajectories", () => {
    expectClose(trajectory({ kind: "adam", learningRate: 0.1 }), TORCH.adam);
    expectClose(trajectory({ kind: "adam", learningRate: 0.1, weightDecay: 0.05 }), TORCH.adam_wd);
    expectClose(
      trajectory({ kind: "adamw", learningRate: 0.1, weightDecay: 0.05, beta1: 0.8, beta2: 0.99 }),
      TORCH.adamw_wd,
    );
    expectClose(
      trajectory({ kind: "sgd", learningRate: 0.05, momentum: 0.9, nesterov: true }),
      TORCH.sgd_nesterov,
    );
    expectClose(
      trajectory({ kind: "sgd", learningRate: 0.05, momentum: 0.5, nesterov: false, weightDecay: 0.1 }),
      TORCH.sgd_momentum_wd,
    );
    expectClose(trajectory({ kind: "adam", learningRate: 0.1 }, 0.5), TORCH.adam_clip);
    expectClose(
      trajectory({ kind: "sgd", learningRate: 0.05, momentum: 0.9, nesterov: true }, 0.5),
      TORCH.sgd_nesterov_clip,
    );
  });

  it("AdamW's weight decay defaults to 0: AdamW without decay equals Adam", () => {
    expect(trajectory({ kind: "adamw", learningRate: 0.1 })).toEqual(
      trajectory({ kind: "adam", learningRate: 0.1 }),
    );
  });

  it("clips the global norm over all tensors like clip_grad_norm_", () => {
    const a = Float32Array.from([3, 0]);
    const b = Float64Array.from([0, 4]);
    const before = clipGradientNorm([a, b], 1);
    expect(before).toBe(5);
    const coefficient = 1 / (5 + 1e-6);
    expect(a[0]).toBeCloseTo(3 * coefficient, 6);
    expect(b[1]).toBeCloseTo(4 * coefficient, 12);
    const small = Float64Array.from([0.1]);
    clipGradientNorm([small], 1);
    expect(small[0]).toBe(0.1);
  });

  for (const config of [
    { kind: "adamw", learningRate: 0.01, weightDecay: 0.01 },
    { kind: "sgd", learningRate: 0.01, momentum: 0.9, nesterov: true },
  ] satisfies OptimizerConfig[]) {
    it(`${config.kind}: a state saved through JSON resumes bit-identically`, () => {
      const sizes = [1000, 37];
      const gradientAt = (step: number): Float32Array[] =>
        sizes.map((size, t) => gaussian(100 + 10 * step + t, size));
      const uninterrupted = sizes.map((size, t) => gaussian(t + 1, size));
      const optimizer = createOptimizer(sizes, config);
      for (let s = 0; s < 6; s++) optimizer.step(uninterrupted, gradientAt(s));

      const resumed = sizes.map((size, t) => gaussian(t + 1, size));
      const first = createOptimizer(sizes, config);
      for (let s = 0; s < 3; s++) first.step(resumed, gradientAt(s));
      const checkpoint = JSON.parse(
        JSON.stringify({ state: first.saveState(), params: resumed.map((p) => Array.from(p)) }),
      );
      const second = createOptimizer(sizes, config);
      second.loadState(checkpoint.state);
      const params = (checkpoint.params as number[][]).map((values) => Float32Array.from(values));
      for (let s = 3; s < 6; s++) second.step(params, gradientAt(s));
      expect(second.stepCount).toBe(6);
      for (let t = 0; t < sizes.length; t++)
        expect(Array.from(params[t]!)).toEqual(Array.from(uninterrupted[t]!));
    });
  }

  it("rejects mismatched tensors and states with a message that says what to do", () => {
    const adam = new Adam([3], { learningRate: 0.1 });
    expect(() => adam.step([new Float32Array(3)], [new Float32Array(2)])).toThrow(/tensor 0/);
    expect(() => adam.loadState({ kind: "sgd", step: 1, buffers: {} })).toThrow(/cannot load/);
    expect(() => new Sgd([1], { learningRate: 1, momentum: 0 })).toThrow(/Nesterov/);
  });
});
