/**
 * The scheduler configs that public SD exports ship (PNDM for SD-1.5, DDIM with v-prediction for SD-2.1, an
 * Euler config, a "trailing" one) drive the DDIM-eta sampler with diffusers' betas and timesteps. Expected
 * numbers were computed with numpy in float64 from diffusers' formulas (np.linspace of sqrt β squared,
 * np.cumprod; np.arange/np.round spacing), independently of this code.
 */
import { describe, expect, it } from "vitest";
import {
  ddimCoefficients,
  ddimConfigSchema,
  ddimPlan,
  ddimStep,
  ddimTimesteps,
  noiseSchedule,
  withPrediction,
} from "./ddim";

// runwayml/stable-diffusion-v1-5 scheduler/scheduler_config.json
const sd15Pndm = {
  _class_name: "PNDMScheduler",
  _diffusers_version: "0.6.0",
  beta_end: 0.012,
  beta_schedule: "scaled_linear",
  beta_start: 0.00085,
  num_train_timesteps: 1000,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
  clip_sample: false,
};
// stabilityai/stable-diffusion-2-1 scheduler/scheduler_config.json
const sd21Ddim = {
  _class_name: "DDIMScheduler",
  _diffusers_version: "0.8.0",
  beta_end: 0.012,
  beta_schedule: "scaled_linear",
  beta_start: 0.00085,
  clip_sample: false,
  num_train_timesteps: 1000,
  prediction_type: "v_prediction",
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
};
// An EulerDiscreteScheduler config as later SD-2.x revisions ship it.
const sd21Euler = {
  _class_name: "EulerDiscreteScheduler",
  beta_end: 0.012,
  beta_schedule: "scaled_linear",
  beta_start: 0.00085,
  interpolation_type: "linear",
  num_train_timesteps: 1000,
  prediction_type: "v_prediction",
  set_alpha_to_one: false,
  steps_offset: 1,
  timestep_spacing: "leading",
  trained_betas: null,
  use_karras_sigmas: false,
};

describe("public SD scheduler configs → DDIM-eta", () => {
  it("scaled_linear betas and ᾱ match diffusers' (numpy float64)", () => {
    for (const raw of [sd15Pndm, sd21Ddim, sd21Euler]) {
      const schedule = noiseSchedule(ddimConfigSchema.parse(raw));
      expect(schedule.betas[0]).toBeCloseTo(0.00085, 12);
      expect(schedule.betas[999]).toBeCloseTo(0.012, 12);
      expect(schedule.alphasCumprod[0]).toBeCloseTo(0.99915, 12);
      expect(schedule.alphasCumprod[500]).toBeCloseTo(0.2763326838229746, 10);
      expect(schedule.alphasCumprod[999]).toBeCloseTo(0.004660098513077238, 10);
      // set_alpha_to_one false: the step past t = 0 lands on ᾱ_0.
      expect(schedule.finalAlphaCumprod).toBeCloseTo(0.99915, 12);
    }
  });

  it("timesteps: leading with steps_offset 1 (SD-1.5, SD-2.1), trailing and linspace", () => {
    const sd15 = ddimConfigSchema.parse(sd15Pndm);
    expect(sd15.prediction_type).toBe("epsilon");
    expect(sd15.timestep_spacing).toBe("leading");
    expect(ddimTimesteps(sd15, 10)).toEqual([901, 801, 701, 601, 501, 401, 301, 201, 101, 1]);
    expect(ddimTimesteps(sd15, 50).slice(0, 3)).toEqual([981, 961, 941]);
    expect(ddimTimesteps(sd15, 50).at(-1)).toBe(1);
    expect(ddimTimesteps(ddimConfigSchema.parse(sd21Euler), 10)).toEqual(ddimTimesteps(sd15, 10));
    const trailing = ddimConfigSchema.parse({ ...sd21Ddim, timestep_spacing: "trailing" });
    expect(ddimTimesteps(trailing, 3)).toEqual([999, 666, 332]);
    const linspace = ddimConfigSchema.parse({ ...sd21Ddim, timestep_spacing: "linspace" });
    expect(ddimTimesteps(linspace, 4)).toEqual([999, 666, 333, 0]);
  });

  it("v-prediction: the plan's coefficients give diffusers' x0 and ε (x0 = √ᾱ·x − √(1−ᾱ)·v, ε = √(1−ᾱ)·x + √ᾱ·v)", () => {
    const config = ddimConfigSchema.parse(sd21Ddim);
    expect(config.prediction_type).toBe("v_prediction");
    const eta = 0.7;
    const plan = ddimPlan(config, 10, eta, { finalStepNoise: true });
    const schedule = noiseSchedule(config);
    const x = Float32Array.from([0.3, -1.2, 2.0]);
    const v = Float32Array.from([-0.5, 0.8, 0.1]);
    const z = Float32Array.from([1.0, -0.3, 0.25]);
    for (const step of plan) {
      const a = schedule.alphasCumprod[step.timestep] ?? Number.NaN;
      const aPrev = step.prevTimestep >= 0 ? (schedule.alphasCumprod[step.prevTimestep] ?? 1) : 0.99915;
      const sigma = eta * Math.sqrt(((1 - aPrev) / (1 - a)) * (1 - a / aPrev));
      const got = ddimStep(step, x, v, z);
      for (let i = 0; i < x.length; i++) {
        const x0 = Math.sqrt(a) * x[i]! - Math.sqrt(1 - a) * v[i]!;
        const eps = Math.sqrt(1 - a) * x[i]! + Math.sqrt(a) * v[i]!;
        const expected = Math.sqrt(aPrev) * x0 + Math.sqrt(1 - aPrev - sigma * sigma) * eps + sigma * z[i]!;
        expect(got[i]).toBeCloseTo(expected, 5);
      }
      expect(step.sigma).toBeCloseTo(sigma, 12);
    }
  });

  it("sample (x0) prediction folds the same way; an unknown prediction_type is refused by name", () => {
    const a = 0.3;
    const base = ddimCoefficients(a, 0.6, 0);
    const folded = withPrediction(base, "sample");
    const x = 0.9;
    const x0 = -0.4;
    const eps = (x - Math.sqrt(a) * x0) / Math.sqrt(1 - a);
    expect(folded.latentScale * x + folded.epsilonScale * x0).toBeCloseTo(
      base.latentScale * x + base.epsilonScale * eps,
      12,
    );
    expect(() => withPrediction(base, "flow")).toThrow(/prediction_type "flow" is not supported/);
  });
});
