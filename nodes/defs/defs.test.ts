import { describe, expect, it } from "vitest";
import { noiseNode } from "./noise";
import { optimizerNode } from "./optimizer";
import { parseClassifierTarget, rewardNode } from "./reward";
import { samplerNode } from "./sampler";

describe("node declarations", () => {
  it("noise seeds are unsigned 32-bit integers", () => {
    expect(noiseNode.params.safeParse({ seed: 4_294_967_295 }).success).toBe(true);
    expect(noiseNode.params.safeParse({ seed: 4_294_967_296 }).success).toBe(false);
    expect(noiseNode.params.safeParse({ seed: -1 }).success).toBe(false);
    expect(noiseNode.params.safeParse({ batchSeeds: [1, 2.5] }).success).toBe(false);
  });

  it("the sampler's defaults are the paper's (50 steps, eta 1, guidance 5, DDIM)", () => {
    expect(samplerNode.params.parse({})).toMatchObject({
      steps: 50,
      eta: 1,
      guidanceScale: 5,
      scheduler: "ddim",
    });
  });

  it("the optimizer's defaults follow METHOD.md §7 (chosen by bench:recipes): SGD-Nesterov, normalized, lr 0.02, cosine, q = 8, μ = 0.1", () => {
    expect(optimizerNode.params.parse({})).toMatchObject({
      algorithm: "sgd-nesterov",
      learningRate: 0.02,
      momentum: 0.9,
      schedule: "cosine",
      normalizeGradient: true,
      iterations: 50,
      gradClip: 1,
      weightDecay: 0,
      estimator: "backprop",
      perturbations: 8,
      smoothing: 0.1,
    });
  });

  it("optimizer v1 params keep what version 1 ran (Adam, lr 0.01, μ 0.01, constant, no normalization)", () => {
    expect(optimizerNode.version).toBe(2);
    const upgraded = optimizerNode.migrateParams?.(1, { iterations: 30, learningRate: 0.2 });
    expect(optimizerNode.params.parse(upgraded)).toMatchObject({
      algorithm: "adam",
      learningRate: 0.2,
      iterations: 30,
      smoothing: 0.01,
      schedule: "constant",
      normalizeGradient: false,
    });
    // A saved choice is kept; a version 2 document is left alone.
    expect(optimizerNode.migrateParams?.(1, { algorithm: "sgd-nesterov" })).toMatchObject({
      algorithm: "sgd-nesterov",
      schedule: "constant",
    });
    expect(optimizerNode.migrateParams?.(2, { schedule: "cosine" })).toEqual({ schedule: "cosine" });
  });

  it("JPEG rewards declare that they have no gradient; the others have one", () => {
    const differentiable = (kind: string) => rewardNode.differentiable?.(rewardNode.params.parse({ kind }));
    expect(differentiable("jpeg-compressibility")).toBe(false);
    expect(differentiable("jpeg-incompressibility")).toBe(false);
    expect(differentiable("brightness")).toBe(true);
    expect(differentiable("custom-onnx")).toBe(true);
  });

  it("a custom ONNX reward needs an uploaded scoring model", () => {
    const problems = (params: Record<string, unknown>) =>
      rewardNode.validate?.(rewardNode.params.parse(params));
    expect(problems({ kind: "custom-onnx" })).toEqual([
      {
        param: "modelAsset",
        message:
          "“Scoring model” is empty: upload an ONNX scoring model or pick one already uploaded, or pick another reward.",
      },
    ]);
    expect(problems({ kind: "custom-onnx", modelAsset: "cm3x7k2q90000abcd1234efgh" })).toEqual([]);
    expect(problems({ kind: "brightness" })).toEqual([]);
  });

  it("the Sampler's model is an id from the model list: paths are refused by the schema", () => {
    for (const value of ["tiny-shapes-sd", "user:my-sd15", `upload:${"a".repeat(64)}`]) {
      expect(samplerNode.params.safeParse({ model: value }).success, value).toBe(true);
    }
    for (const value of [
      "/usr",
      "../../../etc/passwd",
      "..\\..\\x",
      "user:../x",
      "C:\\Windows",
      "%2e%2e/",
      "/dev/zero",
      "a\u0000b",
      "..",
      "upload:abc",
    ]) {
      const parsed = samplerNode.params.safeParse({ model: value });
      expect(parsed.success, value).toBe(false);
      expect(parsed.error?.issues[0]?.message).toBe(
        "it must be a model from the server's model list, not a folder or a path on the server; pick one from the list",
      );
    }
  });

  it("the scoring model is an asset id: paths and file names are refused by the schema", () => {
    for (const value of [
      "scorer.onnx",
      "/usr",
      "/dev/zero",
      "../../../etc/passwd",
      "..\\..\\x",
      "C:\\Windows",
      "%2e%2e/",
      "user:../x",
      "a\u0000b",
    ]) {
      const parsed = rewardNode.params.safeParse({ kind: "custom-onnx", modelAsset: value });
      expect(parsed.success, value).toBe(false);
      expect(parsed.error?.issues[0]?.message).toBe(
        "it must name an uploaded file, not a file name or a path on the server; upload the file with the file picker",
      );
    }
    expect(rewardNode.params.safeParse({ modelAsset: "x".repeat(65) }).success).toBe(false);
  });

  it("reward v1 params lose their server path when upgraded to v2", () => {
    expect(rewardNode.version).toBe(2);
    const upgraded = rewardNode.migrateParams?.(1, {
      kind: "custom-onnx",
      modelFile: "/dev/zero",
      resize: 32,
    });
    expect(upgraded).toEqual({ kind: "custom-onnx", resize: 32, modelAsset: "" });
    expect(rewardNode.validate?.(rewardNode.params.parse(upgraded))).toEqual([
      expect.objectContaining({ param: "modelAsset" }),
    ]);
  });

  it("classifier targets split into group and class", () => {
    expect(parseClassifierTarget("color:red")).toEqual({ group: "color", label: "red" });
    expect(parseClassifierTarget("background:white")).toEqual({ group: "background", label: "white" });
    expect(rewardNode.params.safeParse({ target: "shape:hexagon" }).success).toBe(false);
  });
});
