import { describe, expect, it } from "vitest";
import { ddimCoefficients, ddimConfigSchema, ddimPlan, ddimStep, ddimTimesteps, noiseSchedule } from "./ddim";

// Stable Diffusion 1.x scheduler config (and the bundled model's): scaled_linear, leading, offset 1.
const sdConfig = ddimConfigSchema.parse({
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: "scaled_linear",
  set_alpha_to_one: false,
  steps_offset: 1,
  clip_sample: false,
});

// Reference values computed with numpy from diffusers' formulas (linspace, cumprod, np.round).
describe("noise schedule ᾱ", () => {
  it("scaled_linear matches diffusers", () => {
    const { alphasCumprod, finalAlphaCumprod } = noiseSchedule(sdConfig);
    expect(alphasCumprod[0]).toBeCloseTo(0.99915, 12);
    expect(alphasCumprod[1]).toBeCloseTo(0.9982960278384514, 12);
    expect(alphasCumprod[499]).toBeCloseTo(0.27766965045646763, 12);
    expect(alphasCumprod[981]).toBeCloseTo(0.005775500139495751, 12);
    expect(alphasCumprod[999]).toBeCloseTo(0.004660098513077238, 12);
    // set_alpha_to_one false: the last step lands on ᾱ_0, not 1.
    expect(finalAlphaCumprod).toBeCloseTo(0.99915, 12);
  });
  it("linear matches diffusers", () => {
    const { alphasCumprod, finalAlphaCumprod } = noiseSchedule(ddimConfigSchema.parse({}));
    expect(alphasCumprod[0]).toBeCloseTo(0.9999, 12);
    expect(alphasCumprod[500]).toBeCloseTo(0.07779665836502389, 12);
    expect(alphasCumprod[999]! / 4.035829765375676e-5).toBeCloseTo(1, 9);
    expect(finalAlphaCumprod).toBe(1);
  });
  it("squaredcos_cap_v2 matches diffusers (β capped at 0.999)", () => {
    const { betas, alphasCumprod } = noiseSchedule(
      ddimConfigSchema.parse({ beta_schedule: "squaredcos_cap_v2" }),
    );
    expect(betas[0]).toBeCloseTo(4.128422482196914e-5, 14);
    expect(betas[999]).toBe(0.999);
    expect(alphasCumprod[500]).toBeCloseTo(0.49228517244880304, 12);
    expect(alphasCumprod[999]! / 2.4287669070348567e-9).toBeCloseTo(1, 6);
  });
  it("trained_betas override the schedule", () => {
    const { alphasCumprod } = noiseSchedule(ddimConfigSchema.parse({ trained_betas: [0.1, 0.5] }));
    expect(Array.from(alphasCumprod)).toEqual([0.9, 0.45]);
  });
});

describe("timesteps", () => {
  it("leading spacing with steps_offset", () => {
    const t50 = ddimTimesteps(sdConfig, 50);
    expect(t50.slice(0, 5)).toEqual([981, 961, 941, 921, 901]);
    expect(t50.at(-1)).toBe(1);
    expect(t50).toHaveLength(50);
    expect(ddimTimesteps(sdConfig, 3)).toEqual([667, 334, 1]);
    expect(ddimTimesteps(sdConfig, 7).slice(0, 5)).toEqual([853, 711, 569, 427, 285]);
  });
  it("trailing spacing", () => {
    const trailing = { ...sdConfig, timestep_spacing: "trailing" as const };
    expect(ddimTimesteps(trailing, 3)).toEqual([999, 666, 332]);
    expect(ddimTimesteps(trailing, 7)).toEqual([999, 856, 713, 570, 428, 285, 142]);
    expect(ddimTimesteps(trailing, 50).slice(-3)).toEqual([59, 39, 19]);
  });
  it("linspace spacing rounds halves to even like numpy", () => {
    const spaced = { ...sdConfig, timestep_spacing: "linspace" as const };
    expect(ddimTimesteps(spaced, 3)).toEqual([999, 500, 0]);
    expect(ddimTimesteps(spaced, 7)).toEqual([999, 832, 666, 500, 333, 166, 0]);
    expect(ddimTimesteps(spaced, 50).slice(0, 6)).toEqual([999, 979, 958, 938, 917, 897]);
  });
  it("rejects impossible step counts", () => {
    expect(() => ddimTimesteps(sdConfig, 0)).toThrow(/steps must be an integer in \[1, 1000\]/);
    expect(() => ddimTimesteps(sdConfig, 1001)).toThrow(RangeError);
  });
});

describe("DDIM step", () => {
  // ᾱ_t = 0.5, ᾱ_{t−1} = 0.8, eta = 1 by hand:
  // σ² = (0.2/0.5)(1 − 0.5/0.8) = 0.15; a = sqrt(1.6); b = sqrt(0.05) − sqrt(1.6)·sqrt(0.5)
  const coefficients = ddimCoefficients(0.5, 0.8, 1);
  it("coefficients", () => {
    expect(coefficients.sigma).toBeCloseTo(Math.sqrt(0.15), 14);
    expect(coefficients.latentScale).toBeCloseTo(1.2649110640673518, 14);
    expect(coefficients.epsilonScale).toBeCloseTo(0.22360679774997896 - 0.8944271909999159, 14);
  });
  it("x_{t−1} for hand-picked x, ε, z (equals diffusers' predicted-x0 form)", () => {
    const out = ddimStep(
      coefficients,
      new Float32Array([1, 0]),
      new Float32Array([2, 1]),
      new Float32Array([-1, 2]),
    );
    // 1.26491 + 2·(−0.67082) − 0.38730; the pred-x0 form: sqrt(.8)·(1 − sqrt(.5)·2)/sqrt(.5) + sqrt(.05)·2 − σ
    expect(out[0]).toBeCloseTo(-0.464028057, 6);
    const predX0 = (1 - Math.sqrt(0.5) * 2) / Math.sqrt(0.5);
    expect(out[0]).toBeCloseTo(Math.sqrt(0.8) * predX0 + Math.sqrt(0.05) * 2 - Math.sqrt(0.15), 6);
    expect(out[1]).toBeCloseTo(-0.6708203932 + 2 * 0.3872983346, 6);
  });
  it("eta = 0 ignores the per-step noise", () => {
    const deterministic = ddimCoefficients(0.5, 0.8, 0);
    expect(deterministic.sigma).toBe(0);
    const a = ddimStep(
      deterministic,
      new Float32Array([1, 0]),
      new Float32Array([2, 1]),
      new Float32Array([5, 5]),
    );
    const b = ddimStep(deterministic, new Float32Array([1, 0]), new Float32Array([2, 1]), null);
    expect(Array.from(a)).toEqual(Array.from(b));
    // DDIM with eta 0: x0 predicted then re-noised with ε only.
    expect(a[0]).toBeCloseTo(
      Math.sqrt(0.8) * ((1 - Math.sqrt(0.5) * 2) / Math.sqrt(0.5)) + Math.sqrt(0.2) * 2,
      6,
    );
  });
  it("eta > 0 uses the per-step noise and demands it", () => {
    const x = new Float32Array([1, 0]);
    const eps = new Float32Array([2, 1]);
    const a = ddimStep(coefficients, x, eps, new Float32Array([0, 0]));
    const b = ddimStep(coefficients, x, eps, new Float32Array([1, 0]));
    expect(b[0]! - a[0]!).toBeCloseTo(coefficients.sigma, 6);
    expect(() => ddimStep(coefficients, x, eps, null)).toThrow(/eta > 0 needs per-step noise/);
  });
  it("the plan steps from t = 981 to the final ᾱ", () => {
    const plan = ddimPlan(sdConfig, 50, 1);
    expect(plan[0]?.timestep).toBe(981);
    expect(plan[0]?.prevTimestep).toBe(961);
    expect(plan[0]?.alphaProd).toBeCloseTo(0.005775500139495751, 12);
    expect(plan.at(-1)?.prevTimestep).toBe(-19);
    expect(plan.at(-1)?.alphaProdPrev).toBeCloseTo(0.99915, 12);
  });
});
